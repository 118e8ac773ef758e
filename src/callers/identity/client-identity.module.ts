// Owns: the "who" of a request: its client address (TRUST_PROXY) and its caller, for every per-client limit.
// May import: itself and the layers below it in .dependency-cruiser.cjs: wire, common, config, platform/*, broker, reply-path/*.
import { Module } from '@nestjs/common';
import { ClientIdentity } from './client-identity';

/** Who a request comes from (address behind TRUST_PROXY, or authenticated caller), for every per-client limit. */
@Module({ providers: [ClientIdentity], exports: [ClientIdentity] })
export class ClientIdentityModule {}
