// Owns: requests held for their reply, each with one way out (reply, time-out, shutdown, caller gone).
// May import: itself and the layers below it in .dependency-cruiser.cjs: wire, common, config, platform/*, broker.
import { Module } from '@nestjs/common';
import { PendingRequestsService } from './pending-requests.service';

@Module({ providers: [PendingRequestsService], exports: [PendingRequestsService] })
export class PendingRequestsModule {}
