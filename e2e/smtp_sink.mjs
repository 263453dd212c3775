// A real SMTP server on loopback for the email tests (npm smtp-server, the server of
// the Nodemailer project), parsing each message with npm mailparser. Prints
// {"port": N} first, then one JSON line per accepted message. It requires
// authentication (user `vouch`, password `secret`), refuses recipients whose address
// starts with `bounce` for good (550) and fails those starting with `flaky` once (451).
// `--starttls KEY CERT` offers STARTTLS with that certificate (and requires it before
// AUTH); `--tls KEY CERT` speaks TLS from the first byte (SMTPS).
//
// Usage: node smtp_sink.mjs [--starttls|--tls KEY CERT]
import { readFileSync } from "node:fs";
import { SMTPServer } from "smtp-server";
import { simpleParser } from "mailparser";

const [mode, keyFile, certFile] = process.argv.slice(2);
const tls = mode === "--starttls" || mode === "--tls"
  ? { key: readFileSync(keyFile), cert: readFileSync(certFile) }
  : null;

const flaky = new Map();
const server = new SMTPServer({
  ...(tls ?? {}),
  secure: mode === "--tls",
  disabledCommands: tls ? [] : ["STARTTLS"],
  allowInsecureAuth: !tls,
  authOptional: false,
  logger: false,
  onAuth(auth, session, cb) {
    if (auth.username === "vouch" && auth.password === "secret") return cb(null, { user: auth.username });
    return cb(new Error("Invalid username or password"));
  },
  onRcptTo(address, session, cb) {
    const a = address.address.toLowerCase();
    if (a.startsWith("bounce")) {
      const e = new Error("5.1.1 No such user here");
      e.responseCode = 550;
      return cb(e);
    }
    if (a.startsWith("flaky")) {
      const n = flaky.get(a) || 0;
      flaky.set(a, n + 1);
      if (n === 0) {
        const e = new Error("4.3.0 Try again later");
        e.responseCode = 451;
        return cb(e);
      }
    }
    cb();
  },
  async onData(stream, session, cb) {
    try {
      const m = await simpleParser(stream);
      const headers = {};
      for (const h of m.headerLines) headers[h.key] = h.line.slice(h.key.length + 1).trim();
      console.log(JSON.stringify({
        user: session.user,
        secure: session.secure,
        envelope_to: session.envelope.rcptTo.map((r) => r.address),
        from: m.from?.value,
        to: m.to?.value,
        subject: m.subject,
        headers,
        text: m.text,
        html: m.html,
      }));
      cb();
    } catch (e) {
      cb(e);
    }
  },
});
server.listen(0, "127.0.0.1", () => {
  console.log(JSON.stringify({ port: server.server.address().port }));
});
