/**
 * Pod IPs: on Linux every 127.0.0.0/8 address reaches the loopback interface without setup,
 * so each pod gets its own (127.1.x.y) and pods can listen on the same port; elsewhere all pods
 * share 127.0.0.1. Process-wide, so pods of several embedded clusters never share an address.
 */
// A random start: test files in one jest worker share the pid (so the block) but not module
// state, and a previous file's pods may still be shutting down on their addresses.
let next = Math.floor(Math.random() * 60_000);
// The second octet comes from the pid, so fleets in different processes (a demo and a test
// run) rarely share addresses; within a process the counter keeps them unique.
const block = 2 + (process.pid % 250);

export function allocatePodIp(): string {
  if (process.platform !== 'linux') return '127.0.0.1';
  next = (next % 62_000) + 1;
  return `127.${block}.${Math.floor(next / 250)}.${(next % 250) + 1}`;
}
