/**
 * A large generated config for reload tests and the reload benchmark: `count` HTTP targets in
 * 50 services and 20 sites, each depending on one of ten roots. `revision` > 0 changes the URL
 * of every 100th target, drops every 100th (offset 50) and adds `count / 100` new ones, so a
 * reload to it adds, changes and removes ~1 % each.
 */
export function bigConfigYaml(count: number, dbPath: string, revision = 0): string {
  const lines = [
    "global: { interval: 1h, timeout: 5s, instance: big-reload }",
    `storage: { path: ${JSON.stringify(dbPath)} }`,
    "targets:",
  ];
  const target = (id: string, index: number, url: string) => {
    lines.push(
      `  - id: ${id}`,
      `    name: Generated target ${index}`,
      `    service: svc-${index % 50}`,
      `    site: site-${index % 20}`,
    );
    if (index >= 10) lines.push(`    depends_on: [t-${index % 10}]`);
    lines.push(`    http: { url: "${url}", method: GET }`);
  };
  for (let i = 0; i < count; i++) {
    if (revision > 0 && i % 100 === 50) continue;
    const changed = revision > 0 && i % 100 === 0 && i >= 10;
    target(`t-${i}`, i, `http://127.0.0.1:9/t/${i}${changed ? `?r=${revision}` : ""}`);
  }
  if (revision > 0) {
    for (let i = 0; i < count / 100; i++) {
      target(`n${revision}-${i}`, count + i, `http://127.0.0.1:9/n/${i}`);
    }
  }
  return `${lines.join("\n")}\n`;
}
