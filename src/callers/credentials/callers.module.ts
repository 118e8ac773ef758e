// Owns: the configured callers and their password checks, bounded and off the main thread, for BasicAuthGuard.
// May import: itself and the layers below it in .dependency-cruiser.cjs: wire, common, config, platform/*, broker, reply-path/*, callers/identity, callers/rate-limit, callers/auth.
import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { CallerCredentials } from './caller-credentials';

/** The multi-caller credentials list and its bounded password checks, for BasicAuthGuard. */
@Module({ imports: [AuthModule], providers: [CallerCredentials], exports: [CallerCredentials, AuthModule] })
export class CallersModule {}
