/**
 * Errors of the simulator itself (bad settings, a scenario that cannot be read, a template without a
 * value). What the system under test answers is never an error here: it is an observation compared
 * with the expectation.
 */
export type SimulatorErrorCode =
  | 'SIM_SETTINGS'
  | 'SIM_REGISTRY'
  | 'SIM_KEYS'
  | 'SIM_SCENARIO'
  | 'SIM_TEMPLATE'
  | 'SIM_TRANSPORT';

export class SimulatorError extends Error {
  constructor(
    readonly code: SimulatorErrorCode,
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SimulatorError';
  }
}
