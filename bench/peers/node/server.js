// Node.js peer for the ringlane peer comparison: one process, the `http`
// module, GET / -> 200 "Hello, World!" (text/plain), keep-alive.
//
//   node server.js PORT        (bench/peers/node/run PORT does this)
'use strict';

const http = require('http');

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port < 1 || port > 65535) {
    console.error('usage: node server.js PORT');
    process.exit(2);
}

const body = Buffer.from('Hello, World!');
const headers = { 'Content-Type': 'text/plain', 'Content-Length': body.length };

const server = http.createServer((req, res) => {
    res.writeHead(200, headers);
    res.end(body);
});

// Keep idle keep-alive connections as long as nginx does (Node's default is
// 5 s); requests per connection are unlimited by default.
server.keepAliveTimeout = 75000;

// backlog as in the nginx peer
server.listen(port, '127.0.0.1', 4096);

// Exit 0 on the signals the suite sends.
for (const sig of ['SIGTERM', 'SIGINT']) {
    process.on(sig, () => process.exit(0));
}
