// Run by the mongo-init service (compose.yaml) with mongosh, as root on
// mongo1: makes the replica set rs0 of the three members, waits for a
// primary, and makes the program's user (readWrite on kynangso only).
// Running it again changes nothing.
const fs = require('fs');

let initiated = true;
try {
  rs.status();
} catch (e) {
  if (e.codeName !== 'NotYetInitialized') throw e;
  initiated = false;
}
if (!initiated) {
  rs.initiate({
    _id: 'rs0',
    members: [
      { _id: 0, host: 'mongo1:27017', priority: 2 },
      { _id: 1, host: 'mongo2:27017', priority: 1 },
      { _id: 2, host: 'mongo3:27017', priority: 1 },
    ],
  });
}
for (let i = 0; !db.hello().isWritablePrimary; i++) {
  if (i > 120) throw new Error('no primary after 60 s');
  sleep(500);
}

const password = fs.readFileSync('/run/secrets/kns_db_password', 'utf8').trim();
const kdb = db.getSiblingDB('kynangso');
if (!kdb.getUser('kynangso')) {
  kdb.createUser({ user: 'kynangso', pwd: password, roles: [{ role: 'readWrite', db: 'kynangso' }] });
}
print('replica set rs0 ready; user kynangso present');
