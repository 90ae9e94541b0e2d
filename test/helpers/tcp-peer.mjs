// A tiny TCP pair for the network tests: `serve <address> <port>` answers every connection with the address
// it came from; `ask <address> <port>` prints that answer, or the error's code (exit 1), or "timeout" (exit 2).
import net from "node:net";

const [mode, address, port] = process.argv.slice(2);
if (mode === "serve") {
  net.createServer((socket) => socket.end(`${socket.remoteAddress}\n`)).listen(Number(port), address);
} else {
  const socket = net.connect(Number(port), address);
  socket.setTimeout(3000, () => {
    console.log("timeout");
    process.exit(2);
  });
  socket.on("data", (data) => process.stdout.write(data));
  socket.on("error", (error) => {
    console.log(error.code);
    process.exit(1);
  });
}
