// Owns: the one typed, validated TransportConfig, provided to every module.
// May import: wire only (rule config-imports-only-wire in .dependency-cruiser.cjs).
import { DynamicModule, Global, Module } from '@nestjs/common';
import { TRANSPORT_CONFIG } from './config.constants';
import { FastPaths, fastPathsFor } from './fast-paths';
import { TransportConfig } from './transport-config';

/** Provides the one validated configuration object to every module, and what became of the fast paths it allows. */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: TransportConfig): DynamicModule {
    return {
      module: ConfigModule,
      providers: [
        { provide: TRANSPORT_CONFIG, useValue: config },
        { provide: FastPaths, useValue: fastPathsFor(config) },
      ],
      exports: [TRANSPORT_CONFIG, FastPaths],
    };
  }
}
