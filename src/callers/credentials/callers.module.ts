// Owns: the configured callers and their password checks, bounded and off the main thread, for BasicAuthGuard.
// May import: itself and the layers below it in .dependency-cruiser.cjs: wire, common, config, platform/*, broker, reply-path/*, callers/identity, callers/rate-limit, callers/auth.
import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { CallerCredentials } from './caller-credentials';
import { CallersReloader } from './callers-reloader';

/** The multi-caller credentials list, its bounded password checks (for BasicAuthGuard) and its reload. */
@Module({
  imports: [AuthModule],
  providers: [CallerCredentials, CallersReloader],
  exports: [CallerCredentials, CallersReloader, AuthModule],
})
export class CallersModule {}
