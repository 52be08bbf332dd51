// The pipes a lab host serves behind IPC$, wired to the simulated agent: what the lab composer
// hands to startLabSmbHost(state, { pipes }). StartService on a host runs runSimulatedAgent for it.
import type { PipeFactory } from '../pipe.js';
import { svcctlPipeFactory, type SvcctlOptions } from '../rpc/svcctlServer.js';
import { runSimulatedAgent, type SimAgentOptions } from './simAgent.js';

export function labPipeFactory(options: { agent?: SimAgentOptions; svcctl?: SvcctlOptions } = {}): PipeFactory {
  return svcctlPipeFactory(
    (host) => ({
      startAgent: (service) => {
        runSimulatedAgent(host, service, options.agent);
      },
    }),
    options.svcctl,
  );
}
