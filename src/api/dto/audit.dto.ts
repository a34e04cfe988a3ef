import { ApiProperty } from '@nestjs/swagger';

export class CheckpointResponse {
  @ApiProperty({ description: 'events the checkpoint covers (leaves of the tree)' }) treeSize!: number;
  @ApiProperty({ description: 'RFC 6962 root hash, hex' }) rootHash!: string;
  @ApiProperty({
    description: 'the C2SP signed note: origin, tree size, base64 root, blank line, signature line',
  })
  note!: string;
  @ApiProperty({ description: 'C2SP key id of the audit key, hex' }) keyId!: string;
  @ApiProperty() signedAt!: string;
  @ApiProperty({ description: 'ledger position of the checkpoint event' }) position!: number;
}

export class AuditKeyResponse {
  @ApiProperty() keyId!: string;
  @ApiProperty({ description: 'the origin line of the checkpoints' }) origin!: string;
  @ApiProperty({ description: 'C2SP verifier key <origin>+<key id>+<base64(0x02 || SPKI)>' })
  verifierKey!: string;
  @ApiProperty({ description: 'SubjectPublicKeyInfo DER, base64' }) spki!: string;
  @ApiProperty() pem!: string;
  @ApiProperty({ description: 'the HSM holding the (non-exportable) private key' }) hsmId!: string;
  @ApiProperty() generatedAt!: string;
}

export class InclusionProofResponse {
  @ApiProperty() position!: number;
  @ApiProperty({ description: 'position − 1 on the embedded ledger' }) leafIndex!: number;
  @ApiProperty() treeSize!: number;
  @ApiProperty({ description: "the event's chain hash (leaf data), hex" }) eventHash!: string;
  @ApiProperty({ description: 'SHA-256(0x00 || eventHash), hex' }) leafHash!: string;
  @ApiProperty({ type: [String] }) proof!: string[];
  @ApiProperty() rootHash!: string;
}

export class ConsistencyProofResponse {
  @ApiProperty() from!: number;
  @ApiProperty() to!: number;
  @ApiProperty({ type: [String] }) proof!: string[];
  @ApiProperty() fromRoot!: string;
  @ApiProperty() toRoot!: string;
}

export class VerificationResponse {
  @ApiProperty() ok!: boolean;
  @ApiProperty() events!: number;
  @ApiProperty() headPosition!: number;
  @ApiProperty({ enum: ['given', 'ledger', 'none'] }) keySource!: string;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'number' } }) checkpoints!: Record<
    string,
    number
  >;
  @ApiProperty({ nullable: true, type: 'object', additionalProperties: true }) lastCheckpoint!: object | null;
  @ApiProperty({ description: 'events after the last verified checkpoint' }) unanchored!: number;
  @ApiProperty({
    type: 'array',
    items: {
      type: 'object',
      properties: {
        kind: { type: 'string' },
        position: { type: 'number' },
        stream: { type: 'string', nullable: true },
        revision: { type: 'number', nullable: true },
        detail: { type: 'string' },
      },
    },
  })
  findings!: object[];
  @ApiProperty({ nullable: true, type: Number }) firstBadPosition!: number | null;
  @ApiProperty() verifiedAt!: string;
}
