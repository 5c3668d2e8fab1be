import { Module } from '@nestjs/common';
import { AppController } from './app.controller';
import { oktaSessionProvider } from './okta.guards';
import { OktaAuthStrategy } from './okta.strategy';

@Module({
  controllers: [AppController],
  providers: [OktaAuthStrategy, oktaSessionProvider],
})
export class AppModule {}
