import { Module } from '@nestjs/common';
import { PendingRequestsService } from './pending-requests.service';

@Module({ providers: [PendingRequestsService], exports: [PendingRequestsService] })
export class PendingRequestsModule {}
