/** The package's public API, for running the emulators inside another Node process (tests). */
export { startSandbox, DEFAULT_SETTINGS, type Sandbox, type SandboxOptions } from './server.ts';
export { SANDBOX_CREDENTIALS } from './credentials.ts';
export type { SandboxSettings } from './context.ts';
export type { FaultSpec, FaultRule, Provider } from './faults.ts';
export { GOOGLE_OPERATIONS } from './google/emulator.ts';
export { PAYPAL_OPERATIONS, PAYPAL_EVENT_TYPES } from './paypal/emulator.ts';
export { BINANCE_OPERATIONS } from './binance/emulator.ts';
