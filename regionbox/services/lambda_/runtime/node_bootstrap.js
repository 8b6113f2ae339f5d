// regionbox's Node.js runtime: one warm execution environment of one function version.
//
// Started by workers.py as `node node_bootstrap.js <control fd>`, with the function's environment
// and its code directory as working directory; the same frames on the same control socket as
// python_bootstrap.py (a 4-byte big-endian length, then the bytes): the init result first, then
// per invocation a header and a payload in, a header and a payload out. console.* writes AWS's
// log lines ("<time>\t<request id>\tINFO\t<message>") to stdout, which is the function's log.
'use strict';
const net = require('net');
const path = require('path');
const fs = require('fs');
const util = require('util');
const { pathToFileURL } = require('url');

const RESPONSE_LIMIT = 6291556;
let requestId = '';

function logLine(level, args) {
  const text = util.format(...args).replace(/\n/g, '\r');
  process.stdout.write(`${new Date().toISOString()}\t${requestId || 'undefined'}\t${level}\t${text}\n`);
}
console.log = (...a) => logLine('INFO', a);
console.info = (...a) => logLine('INFO', a);
console.warn = (...a) => logLine('WARN', a);
console.error = (...a) => logLine('ERROR', a);
console.debug = (...a) => logLine('DEBUG', a);
console.trace = (...a) => logLine('TRACE', a);

function errorDocument(err, fallbackType) {
  if (err instanceof Error) {
    return { errorType: err.name || fallbackType || 'Error', errorMessage: err.message,
             trace: String(err.stack || '').split('\n') };
  }
  return { errorType: fallbackType || 'string', errorMessage: String(err), trace: [] };
}

function frame(buffer) {
  const head = Buffer.alloc(4);
  head.writeUInt32BE(buffer.length);
  return Buffer.concat([head, buffer]);
}

const socket = new net.Socket({ fd: Number(process.argv[2]), readable: true, writable: true });
function send(header, payload) {
  socket.write(Buffer.concat([frame(Buffer.from(JSON.stringify(header))), frame(payload)]));
}

let pending = Buffer.alloc(0);
const frames = [];
let waiter = null;
socket.on('data', (chunk) => {
  pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
  while (pending.length >= 4) {
    const size = pending.readUInt32BE(0);
    if (pending.length < 4 + size) break;
    frames.push(pending.subarray(4, 4 + size));
    pending = pending.subarray(4 + size);
  }
  if (waiter && frames.length >= 2) { const w = waiter; waiter = null; w(); }
});
socket.on('end', () => process.exit(0));
socket.on('error', () => process.exit(0));

function nextInvocation() {
  return new Promise((resolve) => {
    const take = () => resolve([JSON.parse(frames.shift().toString()), frames.shift()]);
    if (frames.length >= 2) take(); else waiter = take;
  });
}

async function loadHandler(name) {
  const root = process.env.LAMBDA_TASK_ROOT || process.cwd();
  const dot = name.lastIndexOf('.');
  if (dot < 0) {
    return [null, { errorType: 'Runtime.MalformedHandlerName', errorMessage: `Bad handler ${name}`, trace: [] }];
  }
  const moduleName = name.slice(0, dot);
  const functionName = name.slice(dot + 1);
  const base = path.resolve(root, moduleName);
  let module;
  try {
    const found = ['.js', '.mjs', '.cjs'].map((ext) => base + ext).find((file) => fs.existsSync(file));
    if (!found) {
      const err = new Error(`Cannot find module '${moduleName}'\nRequire stack:\n- /var/runtime/index.mjs`);
      return [null, { errorType: 'Runtime.ImportModuleError', errorMessage: `Error: ${err.message}`,
                      trace: [`Runtime.ImportModuleError: Error: ${err.message}`] }];
    }
    if (found.endsWith('.cjs')) {
      module = require(found);
    } else {
      try {
        module = found.endsWith('.mjs') ? await import(pathToFileURL(found).href) : require(found);
      } catch (err) {
        if (err && err.code === 'ERR_REQUIRE_ESM') module = await import(pathToFileURL(found).href);
        else throw err;
      }
    }
  } catch (err) {
    if (err && err.code === 'MODULE_NOT_FOUND') {
      return [null, { errorType: 'Runtime.ImportModuleError', errorMessage: `Error: ${err.message}`,
                      trace: String(err.stack || '').split('\n') }];
    }
    if (err instanceof SyntaxError) {
      return [null, { errorType: 'Runtime.UserCodeSyntaxError', errorMessage: `SyntaxError: ${err.message}`,
                      trace: String(err.stack || '').split('\n') }];
    }
    return [null, errorDocument(err)];
  }
  let handler = module && module[functionName];
  if (handler === undefined && module && module.default) handler = module.default[functionName];
  if (typeof handler !== 'function') {
    return [null, { errorType: 'Runtime.HandlerNotFound', errorMessage: `${name} is undefined or not exported`,
                    trace: [] }];
  }
  return [handler, null];
}

function makeContext(header) {
  const deadline = header.deadline;
  return {
    awsRequestId: header.id,
    invokedFunctionArn: header.arn,
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    clientContext: header.client_context || undefined,
    identity: header.identity || undefined,
    tenantId: header.tenant_id || undefined,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(deadline - Date.now(), 0),
  };
}

function run(handler, event, context) {
  return new Promise((resolve, reject) => {
    let settled = false;
    const callback = (err, result) => {
      if (settled) return;
      settled = true;
      if (err !== null && err !== undefined) reject(err); else resolve(result);
    };
    context.done = callback;
    context.succeed = (result) => callback(null, result);
    context.fail = (err) => callback(err === undefined ? new Error('handled') : err);
    try {
      const returned = handler(event, context, callback);
      if (returned && typeof returned.then === 'function') returned.then((r) => callback(null, r), (e) => callback(e || new Error('rejected')));
      else if (handler.length < 3) callback(null, returned);
    } catch (err) {
      callback(err);
    }
  });
}

async function main() {
  const started = process.hrtime.bigint();
  const [handler, failure] = await loadHandler(process.env._HANDLER || '');
  const initMs = Number(process.hrtime.bigint() - started) / 1e6;
  if (failure) {
    process.stdout.write(`${new Date().toISOString()}\tundefined\tERROR\tUncaught Exception \t${JSON.stringify(failure)}\n`);
    send({ init: 'error', ms: initMs }, Buffer.from(JSON.stringify(failure)));
    socket.end();
    return;
  }
  send({ init: 'ok', ms: initMs }, Buffer.alloc(0));
  for (;;) {
    const [header, payload] = await nextInvocation();
    requestId = header.id;
    process.env._X_AMZN_TRACE_ID = header.trace || '';
    try {
      const event = payload.length ? JSON.parse(payload.toString()) : {};
      const result = await run(handler, event, makeContext(header));
      const body = Buffer.from(result === undefined ? 'null' : JSON.stringify(result));
      if (body.length > RESPONSE_LIMIT) {
        send({ error: 'Function.ResponseSizeTooLarge' }, Buffer.from(JSON.stringify({
          errorMessage: `Response payload size exceeded maximum allowed payload size (${RESPONSE_LIMIT} bytes).`,
          errorType: 'Function.ResponseSizeTooLarge' })));
        continue;
      }
      send({ error: null }, body);
    } catch (err) {
      const doc = errorDocument(err);
      logLine('ERROR', ['Invoke Error \t' + JSON.stringify({ errorType: doc.errorType, errorMessage: doc.errorMessage, stack: doc.trace })]);
      send({ error: doc.errorType }, Buffer.from(JSON.stringify(doc)));
    }
  }
}

main();
