import { globMatcher } from "../text/glob.js";
import type { Timers } from "../time/clock.js";
import type { Behaviour } from "./behaviour.js";
import { SimEndpoint } from "./endpoint.js";
import type { EndpointPlan } from "./plan.js";
import type { ScenarioStep } from "./scenario-checks.js";

export interface EstateOptions {
  plan: EndpointPlan[];
  /** The i-th endpoint listens on basePort + i; 0 or absent: ephemeral ports. */
  basePort?: number;
  host?: string;
  timers?: Timers;
  /** Told the endpoint id of every request as it arrives. */
  onRequest?: (id: string) => void;
}

/** An endpoint as served: its plan and the URL a monitor requests. */
export interface ServedEndpoint {
  plan: EndpointPlan;
  url: string;
}

/** The simulated fleet: one endpoint per plan entry, each on its own port. */
export class Estate {
  private constructor(
    private readonly endpoints: Map<string, SimEndpoint>,
    private readonly plans: EndpointPlan[],
  ) {}

  /** Opens every endpoint; if one port cannot be opened, closes the others and throws. */
  static async start(options: EstateOptions): Promise<Estate> {
    const base = options.basePort ?? 0;
    const started = await Promise.allSettled(
      options.plan.map((plan, index) =>
        SimEndpoint.start({
          id: plan.id,
          kind: plan.kind,
          port: base === 0 ? 0 : base + index,
          ...(options.host === undefined ? {} : { host: options.host }),
          ...(options.timers === undefined ? {} : { timers: options.timers }),
          ...(options.onRequest === undefined ? {} : { onRequest: options.onRequest }),
        }),
      ),
    );
    const endpoints = started.flatMap((result) =>
      result.status === "fulfilled" ? [result.value] : [],
    );
    const failure = started.find((result) => result.status === "rejected");
    if (failure !== undefined) {
      await Promise.all(endpoints.map((endpoint) => endpoint.close()));
      throw failure.reason;
    }
    return new Estate(new Map(endpoints.map((e) => [e.id, e])), options.plan);
  }

  get ids(): string[] {
    return this.plans.map((plan) => plan.id);
  }

  /** Applies one scenario step's switches, in order. */
  async applyStep(step: ScenarioStep): Promise<void> {
    for (const change of step.switches) await this.setBehaviour(change.target, change.behaviour);
  }

  /** Every endpoint in plan order, with the URL to monitor it at. */
  served(): ServedEndpoint[] {
    return this.plans.map((plan) => ({ plan, url: this.endpoint(plan.id).url(plan.path) }));
  }

  endpoint(id: string): SimEndpoint {
    const endpoint = this.endpoints.get(id);
    if (endpoint === undefined) throw new Error(`no simulated endpoint "${id}"`);
    return endpoint;
  }

  /** Ids matching an id or a glob (`autogate-*`), in plan order. */
  match(pattern: string): string[] {
    const matches = globMatcher(pattern);
    return this.ids.filter(matches);
  }

  /** Switches every endpoint matching `pattern`; returns their ids (empty: nothing matched). */
  async setBehaviour(pattern: string, behaviour: Behaviour): Promise<string[]> {
    const ids = this.match(pattern);
    await Promise.all(ids.map((id) => this.endpoint(id).setBehaviour(behaviour)));
    return ids;
  }

  async close(): Promise<void> {
    await Promise.all([...this.endpoints.values()].map((endpoint) => endpoint.close()));
  }
}
