/**
 * Internal test kit: fresh temp folders, free loopback ports, a recording HTTP server, and a
 * launcher for real service binaries that waits for readiness and always cleans up.
 *
 * Services are started by the tests themselves on free ports in fresh temp folders; nothing here
 * reaches beyond loopback.
 */
export { tempDir, freePort, waitForPort, spawnService, requireBinary } from './process.js';
export type { TempDir, ServiceProcess, SpawnServiceOptions } from './process.js';
export { startHttpServer } from './http-server.js';
export type {
  RecordedRequest,
  TestHttpServer,
  TestHttpHandler,
  StartHttpServerOptions,
} from './http-server.js';
export { startNatsServer } from './nats.js';
export type { NatsServer, StartNatsServerOptions } from './nats.js';
export {
  startRegistry,
  startTokenServer,
  createTestCa,
  issueTestCertificate,
  pushImage,
} from './registry.js';
export type {
  TestRegistry,
  TestRegistryAuth,
  StartRegistryOptions,
  TestTokenServer,
  StartTokenServerOptions,
  TestCertificates,
  IssuedCertificate,
  PushImageOptions,
  PushedImage,
  TestPlatform,
} from './registry.js';
export { codeBlock, runExample } from './example.js';
export type { ExampleOutput } from './example.js';
export { seededRandom } from './random.js';
export { startRawServer } from './raw-server.js';
export type { RawServer } from './raw-server.js';
export { startFakeRegistry } from './fake-registry.js';
export type { FakeRegistry, FakeRegistryOptions } from './fake-registry.js';
export { startFakeEcr, startFakeGcpMetadata, startFakeAcr } from './cloud-registry-auth.js';
export { startFakeEcrPublic, verifySigV4 } from './fake-ecr-public.js';
export type { FakeEcrPublicOptions } from './fake-ecr-public.js';
export { startFakeEntra, startConnectProxy } from './fake-entra.js';
export { startFakeManagedIdentity } from './fake-managed-identity.js';
export type {
  FakeManagedIdentity,
  FakeManagedIdentityOptions,
  FakeManagedIdentityProtocol,
} from './fake-managed-identity.js';
export type { FakeEntraOptions, FakeFederatedCredential, ConnectProxy } from './fake-entra.js';
export type {
  FakeEcrOptions,
  FakeGcpMetadataOptions,
  FakeAcrOptions,
  FakeAcr,
} from './cloud-registry-auth.js';
