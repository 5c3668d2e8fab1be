import { Module } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { AppController, OktaGuard } from './app.controller.js';
import { OktaAuthStrategy } from './okta.strategy.js';

@Module({
  imports: [PassportModule.register({ session: true })],
  controllers: [AppController],
  providers: [OktaAuthStrategy, OktaGuard],
})
export class AppModule {}
