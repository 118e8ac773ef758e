import { Module } from '@nestjs/common';
import { ClientIdentity } from './client-identity';

/** Who a request comes from (address behind TRUST_PROXY, or authenticated caller), for every per-client limit. */
@Module({ providers: [ClientIdentity], exports: [ClientIdentity] })
export class ClientIdentityModule {}
