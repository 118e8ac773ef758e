// Owns: the draining flag and the paused flag.
// May import: itself and the layers below it in .dependency-cruiser.cjs: wire, common, config.
import { Global, Module } from '@nestjs/common';
import { LifecycleService } from './lifecycle.service';

/** The draining flag, read by the API and readiness. */
@Global()
@Module({ providers: [LifecycleService], exports: [LifecycleService] })
export class LifecycleModule {}
