import { Module } from '@nestjs/common';
import { AppController } from './app.controller.js';
import { oktaSessionProvider } from './okta.guards.js';
import { OktaAuthStrategy } from './okta.strategy.js';

@Module({
  controllers: [AppController],
  providers: [OktaAuthStrategy, oktaSessionProvider],
})
export class AppModule {}
