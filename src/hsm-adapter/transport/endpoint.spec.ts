import { connectionFactory, defaultEndpoint, parseStreamEndpoint } from './endpoint';

describe('endpoints', () => {
  it.each([
    ['unix:/tmp/.cryptech_muxd.rpc', { path: '/tmp/.cryptech_muxd.rpc' }],
    ['unix:relative/muxd.rpc', { path: 'relative/muxd.rpc' }],
    ['tcp://127.0.0.1:8080', { host: '127.0.0.1', port: 8080 }],
    ['tcp://hsm.example:1', { host: 'hsm.example', port: 1 }],
    ['tcp://[::1]:65535', { host: '::1', port: 65535 }],
  ])('parses %s', (endpoint, address) => {
    expect(parseStreamEndpoint(endpoint)).toEqual(address);
  });

  it.each([
    ['unix:', 'expected unix:<socket path>'],
    ['tcp://host', 'expected a port in 1..65535'],
    ['tcp://host:0', 'expected a port in 1..65535'],
    ['tcp://host:70000', 'expected tcp://<host>:<port>'],
    ['tcp://host:80/path', 'expected tcp://<host>:<port>, with no credentials and nothing after the port'],
    ['/tmp/.cryptech_muxd.rpc', 'expected unix:<socket path> or tcp://<host>:<port>'],
    ['tls://host:8080', 'expected unix:<socket path> or tcp://<host>:<port>'],
  ])('refuses %s, quoting it', (endpoint, why) => {
    expect(() => parseStreamEndpoint(endpoint)).toThrow(`"endpoint" ${JSON.stringify(endpoint)}: ${why}`);
  });

  it('never repeats credentials put in the URL', () => {
    expect(() => parseStreamEndpoint('tcp://user:s3cret@host:80')).toThrow(
      '"endpoint" "tcp://***@host:80": expected tcp://<host>:<port>, with no credentials and nothing after the port',
    );
  });

  it('defaults to muxd’s socket, or $CRYPTECH_RPC_CLIENT_SOCKET_NAME (§1.3)', () => {
    expect(defaultEndpoint({})).toBe('unix:/tmp/.cryptech_muxd.rpc');
    expect(defaultEndpoint({ CRYPTECH_RPC_CLIENT_SOCKET_NAME: '/run/hsm.rpc' })).toBe('unix:/run/hsm.rpc');
  });

  it('refuses an endpoint that is neither a string nor an in-process HSM', () => {
    expect(() => connectionFactory({} as never)).toThrow(
      '"endpoint" expected a string, an in-process handler or { openSession }',
    );
  });
});
