import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { CallerCredentials } from './caller-credentials';

/** The multi-caller credentials list and its bounded password checks, for BasicAuthGuard. */
@Module({ imports: [AuthModule], providers: [CallerCredentials], exports: [CallerCredentials, AuthModule] })
export class CallersModule {}
