import { Inject, Injectable, PipeTransform } from '@nestjs/common';
import { TRANSPORT_CONFIG } from '../../config/config.constants';
import { TransportConfig } from '../../config/transport-config';
import { CallerDefaultsCarrier } from '../../callers/identity/caller';
import { SentRequest } from './request-fields.decorator';
import { collectRequestFields, RequestFields } from './request-fields';

/** Parses query and body into fields, refusing bad UTF-8, bad JSON and too many parameters. */
@Injectable()
export class RequestFieldsPipe implements PipeTransform<SentRequest, RequestFields> {
  private readonly maxParameters: number;

  constructor(@Inject(TRANSPORT_CONFIG) config: TransportConfig) {
    this.maxParameters = config.maxParameters;
  }

  transform(sent: SentRequest): RequestFields & CallerDefaultsCarrier {
    const fields = collectRequestFields(sent.url, sent.contentType, sent.body, this.maxParameters);
    return sent.fieldDefaults ? Object.assign(fields, { callerDefaults: sent.fieldDefaults }) : fields;
  }
}
