import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';
import { setUp } from './setup';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create(AppModule, { logger: ['error', 'warn'] });
  setUp(app);
  await app.listen(Number(process.env.PORT), '127.0.0.1');
  console.log('listening');
}

void bootstrap();
