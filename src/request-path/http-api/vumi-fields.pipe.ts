import { Inject, Injectable, PipeTransform } from '@nestjs/common';
import { TRANSPORT_CONFIG } from '../../config/config.constants';
import { TransportConfig } from '../../config/transport-config';
import { InboundFieldsDto } from '../inbound/inbound-fields.dto';
import { SentRequest } from './request-fields.decorator';
import { collectRequestFields } from './request-fields';
import { VumiFieldsValidation } from './vumi-fields-validation';

/**
 * The sent request in, the validated fields out: parses query and body (refusing bad UTF-8, bad
 * JSON and too many parameters), then applies Vumi's validation with the caller's field defaults.
 */
@Injectable()
export class VumiFieldsPipe implements PipeTransform<SentRequest, InboundFieldsDto> {
  private readonly maxParameters: number;

  constructor(
    @Inject(TRANSPORT_CONFIG) config: TransportConfig,
    private readonly validation: VumiFieldsValidation,
  ) {
    this.maxParameters = config.maxParameters;
  }

  transform(sent: SentRequest): InboundFieldsDto {
    return this.validation.validate(collectRequestFields(sent.url, sent.contentType, sent.body, this.maxParameters), sent.fieldDefaults);
  }
}
