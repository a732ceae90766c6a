import type { EndpointKind } from "./plan.js";

/** What an endpoint sends back: pure, so tests and the endpoint agree on every byte. */
export interface Answer {
  status: number;
  contentType: string;
  body: string;
}

export type GateMode = "auto" | "manual";

/** Every answer names the endpoint that sent it, so a test can tell N endpoints apart. */
export const ENDPOINT_HEADER = "x-pantau-sim-endpoint";

const JSON_TYPE = "application/json";

/**
 * A healthy answer per kind. An autogate always reports its `mode` (the airport's passport
 * control); the other JSON kinds report one only when switched to manual.
 */
export function healthyAnswer(kind: EndpointKind, mode: GateMode): Answer {
  if (kind === "portal") {
    const banner = mode === "manual" ? "manual mode" : "ok";
    const body = `<!doctype html><title>Portal Imigrasi</title><p>${banner}</p>\n`;
    return { status: 200, contentType: "text/html; charset=utf-8", body };
  }
  const fields =
    kind === "autogate" || mode === "manual" ? { status: "ok", mode } : { status: "ok" };
  return { status: 200, contentType: JSON_TYPE, body: JSON.stringify(fields) };
}

export const UNAVAILABLE: Answer = {
  status: 503,
  contentType: JSON_TYPE,
  body: JSON.stringify({ status: "unavailable" }),
};
