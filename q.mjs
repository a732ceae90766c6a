import dgram from "node:dgram"; import net from "node:net";
import packet from "dns-packet";
const [port, name, type, tcp] = process.argv.slice(2);
const q = packet.encode({ type: "query", id: 7, flags: packet.RECURSION_DESIRED, questions: [{ type, name }] });
const t0 = performance.now();
if (tcp) {
  const s = net.connect(Number(port), "127.0.0.1"); s.write(packet.streamEncode({ type: "query", id: 7, flags: packet.RECURSION_DESIRED, questions: [{ type, name }] }));
  let buf = Buffer.alloc(0); s.on("data", (d) => { buf = Buffer.concat([buf, d]); if (buf.length >= 2 && buf.length >= buf.readUInt16BE(0) + 2) { console.log(JSON.stringify(packet.streamDecode(buf), null, 0)); s.destroy(); } });
} else {
  const s = dgram.createSocket("udp4");
  s.on("message", (m) => { const r = packet.decode(m); console.log(m.length, r.rcode, r.flags, "TC", r.flag_tc, JSON.stringify(r.answers).slice(0, 300), "auth", JSON.stringify(r.authorities), "add", JSON.stringify(r.additionals), (performance.now()-t0).toFixed(1)+"ms"); s.close(); });
  s.send(q, Number(port), "127.0.0.1");
  setTimeout(() => { console.log("timeout"); process.exit(0); }, 3000).unref();
}
