// The NestJS app of ../nestjs, compiled to ES modules: passport-okta-oidc is loaded with
// import (its ES module build), which the start line names for the test to check.
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';
import { setUp } from './setup.js';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create(AppModule, { logger: ['error', 'warn'] });
  setUp(app);
  await app.listen(Number(process.env.PORT), '127.0.0.1');
  console.log(`listening, passport-okta-oidc from ${import.meta.resolve('passport-okta-oidc')}`);
}

void bootstrap();
