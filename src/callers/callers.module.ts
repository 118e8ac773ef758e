import { Module } from '@nestjs/common';
import { CallerCredentials } from './caller-credentials.service';

/** The multi-caller credentials list, for BasicAuthGuard. */
@Module({ providers: [CallerCredentials], exports: [CallerCredentials] })
export class CallersModule {}
