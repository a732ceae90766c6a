import { request } from "node:http";

/** What a plain GET saw: an answer, or the error code (ECONNREFUSED, ECONNRESET, timeout). */
export type Got =
  | { status: number; body: string; endpoint: string | undefined; contentType: string | undefined }
  | { error: string };

/** One GET on a fresh connection; `timeoutMs` ends it (and frees its socket) as `timeout`. */
export function get(url: string, timeoutMs = 2000): Promise<Got> {
  return new Promise((resolve) => {
    const req = request(url, { agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (chunk: string) => {
        body += chunk;
      });
      res.on("end", () => {
        clearTimeout(timer);
        resolve({
          status: res.statusCode ?? 0,
          body,
          endpoint: res.headers["x-pantau-sim-endpoint"] as string | undefined,
          contentType: res.headers["content-type"],
        });
      });
    });
    const timer = setTimeout(() => {
      req.destroy();
      resolve({ error: "timeout" });
    }, timeoutMs);
    req.on("error", (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve({ error: error.code ?? error.message });
    });
    req.end();
  });
}
