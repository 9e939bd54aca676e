// The notes' example app: answers every request on port 80 with a greeting.
const http = require("http");

const greeting = "Hello from the notes app!";

const server = http.createServer((req, res) => {
  console.log(`${new Date().toISOString()} ${req.method} ${req.url}`);
  res.writeHead(200, { "Content-Type": "text/plain" });
  res.end(greeting + "\n");
});

server.listen(80, () => console.log("listening on port 80"));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
