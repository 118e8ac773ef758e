import { Controller, Get, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { Response } from 'express';
import { MetricsService } from './metrics.service';

/** Prometheus scrapes here (METRICS_PATH, set by MetricsModule). Never behind auth, like health. */
@ApiTags('operations')
@Controller()
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  @Get()
  @ApiOperation({ summary: 'Prometheus metrics', description: 'Text exposition format 0.0.4; every name starts with vumi_http_api_.' })
  @ApiProduces('text/plain')
  @ApiOkResponse({
    description: 'The metrics',
    content: { 'text/plain': { schema: { type: 'string', example: 'vumi_http_api_held_requests{transport_name="http_api"} 0\n' } } },
  })
  async scrape(@Res() res: Response): Promise<void> {
    const body = await this.metrics.text();
    res.writeHead(200, { 'Content-Type': this.metrics.contentType, 'Cache-Control': 'no-store' });
    res.end(body);
  }
}
