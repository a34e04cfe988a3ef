import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { EventStore } from '../event-store/event-store';
import { EVENT_STORE } from '../app/tokens';
import { ApiProblems } from './problems.openapi';

@ApiTags('health')
@Controller()
export class HealthController {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  /** Liveness and ledger head: which store backs the ledger and its current global position. */
  @Get('health')
  @ApiProblems(500, 503)
  @ApiOkResponse({ description: '{status, store, position}: the ledger head position' })
  async health(): Promise<{ status: 'ok'; store: string; position: number }> {
    return { status: 'ok', store: this.store.kind, position: await this.store.headPosition() };
  }
}
