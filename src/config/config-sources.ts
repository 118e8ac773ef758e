import { settingsOf, SettingSource } from './setting';
import { TransportConfig } from './transport-config';

/**
 * Where each setting comes from, derived from the @Setting declarations of
 * TransportConfig (no second table to keep in step). The environment wins
 * over the YAML file.
 */
export const SETTING_SOURCES: ReadonlyArray<SettingSource<keyof TransportConfig>> = settingsOf(TransportConfig);

/** Variables read at boot besides the settings themselves. */
export const LOADER_VARIABLES = ['CONFIG_FILE'] as const;
