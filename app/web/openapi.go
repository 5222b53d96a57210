package web

import (
	"encoding/json"

	"github.com/gofiber/fiber/v2"
)

// openAPI serves the OpenAPI 3.1 document of the public JSON API, with
// this site's address as its server. The document is checked against the
// real responses, and against the routes, in openapi_test.go.
func (s *Server) openAPI(c *fiber.Ctx) error {
	doc, err := s.openAPIDoc()
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	c.Set(fiber.HeaderCacheControl, "public, max-age=3600")
	c.Set(fiber.HeaderAccessControlAllowOrigin, "*")
	return c.Send(doc)
}

// openAPIDoc is the document with this site's base URL as its server
// (made per request: it is small and rarely asked for).
func (s *Server) openAPIDoc() ([]byte, error) {
	var doc map[string]any
	if err := json.Unmarshal([]byte(openAPIDocument), &doc); err != nil {
		return nil, err
	}
	doc["servers"] = []any{map[string]any{"url": s.cfg.BaseURL}}
	return json.Marshal(doc)
}

// openAPIDocument is the API as other systems see it. Schemas of our own
// responses say additionalProperties: false, so a field added to a
// response without the document fails the test.
const openAPIDocument = `{
  "openapi": "3.1.0",
  "info": {
    "title": "Kỹ Năng Số public API",
    "version": "1",
    "description": "Check a certificate of Kỹ Năng Số: by its code (the JSON twin of the page a certificate's QR code opens, /v/{code}), or as a signed Open Badges 3.0 credential with an eddsa-rdfc-2022 Data Integrity proof. Public, no key needed; certificate checks are limited per client address (KNS_VERIFY_LIMIT a minute, 30 by default; past it 429 with Retry-After). Names are shown as the holder chose (masked by default: Nguyễn V. A.); never a phone number.",
    "license": {"name": "Public contract: paths and fields are kept, new fields may be added"}
  },
  "paths": {
    "/api/v1/verify/{code}": {
      "get": {
        "operationId": "verifyCertificate",
        "summary": "Check a certificate by its code",
        "description": "The code as printed (XXXX-XXXX-XXXX); lower case, spaces, dots and I/L/O typed for 1/1/0 are read as the printed code. Every check of a real code is recorded on the certificate.",
        "parameters": [{"$ref": "#/components/parameters/code"}],
        "responses": {
          "200": {"description": "The certificate exists: status valid or revoked (with when, why, and its replacement if any).",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Verification"}}}},
          "404": {"description": "No certificate has this code (status unknown).",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/VerificationUnknown"}}}},
          "422": {"description": "The code is mistyped: its check character does not match, or it has too few or too many characters (status mistyped).",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/VerificationMistyped"}}}},
          "429": {"$ref": "#/components/responses/RateLimited"}
        }
      }
    },
    "/api/v1/credentials/verify": {
      "post": {
        "operationId": "verifyCredential",
        "summary": "Check a signed credential this platform issued",
        "description": "Post the credential document (what /credentials/{code}.json or the holder's download gives). Checks the proof, that one of this platform's keys signed it, and its revocation status.",
        "requestBody": {"required": true, "content": {
          "application/json": {"schema": {"$ref": "#/components/schemas/Credential"}},
          "application/vc+ld+json": {"schema": {"$ref": "#/components/schemas/Credential"}}}},
        "responses": {
          "200": {"description": "Genuine and not revoked.",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CredentialVerified"}}}},
          "400": {"description": "No document was posted.",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
          "422": {"description": "Not a genuine credential of this platform, or revoked; reason says which.",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CredentialRefused"}}}},
          "429": {"$ref": "#/components/responses/RateLimited"}
        }
      }
    },
    "/credentials/{code}.json": {
      "get": {
        "operationId": "getCredential",
        "summary": "The certificate as a signed Open Badges 3.0 credential",
        "description": "Public, naming the holder as the verification page does. Counted as a check.",
        "parameters": [{"$ref": "#/components/parameters/code"}],
        "responses": {
          "200": {"description": "The credential.",
            "content": {"application/vc+ld+json": {"schema": {"$ref": "#/components/schemas/Credential"}}}},
          "404": {"description": "No certificate has this code.",
            "content": {"text/html": {"schema": {"type": "string"}}}},
          "429": {"$ref": "#/components/responses/RateLimited"}
        }
      }
    },
    "/credentials/status/{list}": {
      "get": {
        "operationId": "getStatusList",
        "summary": "A signing key's revocation list (Bitstring Status List)",
        "description": "Each credential's credentialStatus names its list and index; a set bit is a revoked certificate. One list per signing key: after a key rotation the old key's list stays served.",
        "parameters": [{"name": "list", "in": "path", "required": true, "schema": {"type": "string"}, "description": "The list's id, the tail of the key's did:key."}],
        "responses": {
          "200": {"description": "The signed status list credential.",
            "content": {"application/vc+ld+json": {"schema": {"$ref": "#/components/schemas/StatusListCredential"}}}},
          "404": {"description": "No signing key has this list.",
            "content": {"text/html": {"schema": {"type": "string"}}}}
        }
      }
    },
    "/.well-known/jwks.json": {
      "get": {
        "operationId": "getKeys",
        "summary": "The public keys that verify issued credentials, newest first",
        "responses": {
          "200": {"description": "A JSON Web Key Set (Ed25519).",
            "content": {"application/jwk-set+json": {"schema": {"$ref": "#/components/schemas/JWKS"}}}}
        }
      }
    },
    "/api/v1/ranking": {
      "get": {
        "operationId": "getRanking",
        "summary": "A quarter's ranking of provinces and communes by households covered (aggregates only)",
        "description": "Public, no sign-in; open to any origin (Access-Control-Allow-Origin: *). A place with fewer learners than the threshold is listed as suppressed, without figures. A past quarter's figures are frozen (final: true) as first published after its end; the current quarter's are live, recounted every few minutes.",
        "parameters": [
          {"name": "quarter", "in": "query", "required": false, "schema": {"type": "string", "pattern": "^[0-9]{4}-[Qq][1-4]$"}, "example": "2026-Q4", "description": "The quarter, Vietnam time; the current one when absent."},
          {"name": "province", "in": "query", "required": false, "schema": {"type": "string"}, "description": "A province code: that province's communes only."},
          {"name": "format", "in": "query", "required": false, "schema": {"type": "string", "enum": ["json", "csv", "xlsx"]}, "description": "json (the default), or the same table as a CSV or XLSX download."}
        ],
        "responses": {
          "200": {"description": "The ranking: all provinces with their communes, or one province's communes.",
            "content": {
              "application/json": {"schema": {"oneOf": [{"$ref": "#/components/schemas/Ranking"}, {"$ref": "#/components/schemas/ProvinceRanking"}]}},
              "text/csv": {"schema": {"type": "string"}},
              "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {"schema": {"type": "string", "format": "binary"}}
            }},
          "400": {"description": "quarter or format cannot be read.",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
          "404": {"description": "The quarter has not begun or is before the first one, or no province has this code.",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        }
      }
    },
    "/api/v1/provinces/{code}/communes": {
      "get": {
        "operationId": "listCommunes",
        "summary": "A province's communes (since 1 July 2025), optionally searched",
        "parameters": [
          {"name": "code", "in": "path", "required": true, "schema": {"type": "string"}, "description": "Province code."},
          {"name": "q", "in": "query", "required": false, "schema": {"type": "string"}, "description": "Search, with or without diacritics."}
        ],
        "responses": {
          "200": {"description": "The communes.",
            "content": {"application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/Commune"}}}}},
          "404": {"description": "No province has this code.",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        }
      }
    }
  },
  "components": {
    "parameters": {
      "code": {"name": "code", "in": "path", "required": true, "schema": {"type": "string"}, "example": "7K3M-9QXP-4TDA",
        "description": "A certificate code as printed."}
    },
    "responses": {
      "RateLimited": {"description": "Too many checks from this address this minute; try again after Retry-After seconds.",
        "headers": {"Retry-After": {"schema": {"type": "integer"}}},
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    },
    "schemas": {
      "Error": {"type": "object", "additionalProperties": false, "required": ["error"],
        "properties": {"error": {"type": "string", "description": "What is wrong, in the language asked for (Accept-Language or ?lang=)."}}},
      "LocalText": {"type": "object", "description": "A text in Vietnamese and English.", "required": ["vi"],
        "properties": {"vi": {"type": "string"}, "en": {"type": "string"}}, "additionalProperties": {"type": "string"}},
      "Verification": {"type": "object", "additionalProperties": false,
        "required": ["status", "code", "holder", "course", "issued", "score", "issuer", "verify_url", "credential_url"],
        "properties": {
          "status": {"type": "string", "enum": ["valid", "revoked"]},
          "code": {"type": "string", "description": "The code as printed."},
          "holder": {"type": "string", "description": "The holder's name as she chose to show it (masked by default)."},
          "course": {"type": "object", "additionalProperties": false, "required": ["id"], "properties": {
            "id": {"type": "string"}, "title": {"$ref": "#/components/schemas/LocalText"}, "certifies": {"$ref": "#/components/schemas/LocalText"}}},
          "issued": {"type": "string", "format": "date-time"},
          "score": {"type": "integer", "description": "Quiz score, percent."},
          "issuer": {"type": "object", "additionalProperties": false, "required": ["name", "url"], "properties": {
            "name": {"type": "string"}, "url": {"type": "string", "format": "uri"},
            "team": {"type": "string"}, "commune": {"type": "string"}, "province": {"type": "string"}}},
          "practice": {"$ref": "#/components/schemas/Practice"},
          "verify_url": {"type": "string", "format": "uri"},
          "credential_url": {"type": "string", "format": "uri"},
          "revoked_at": {"type": "string", "format": "date-time"},
          "revoke_reason": {"type": "string", "enum": ["error", "fraud", "request", "other", "replaced"], "description": "Why, from a fixed list: issued in error, cheating on the quiz, at the holder's request (she erased her account), another reason, or replaced after a name correction (then replaced_by names the new one). revoke_reason_text gives it in words."},
          "revoke_reason_text": {"$ref": "#/components/schemas/LocalText"},
          "replaced_by": {"type": "string", "description": "The code of the certificate issued in its place."}
        }},
      "Practice": {"type": "object", "additionalProperties": false, "required": ["tasks", "teams", "confirmed_on"],
        "description": "Present only for a certificate of a course with practical tasks: the tasks a team's leader saw the holder do by herself and confirmed before the certificate was issued, as the verification page shows them. The person who confirmed is not named.",
        "properties": {
          "tasks": {"type": "array", "minItems": 1, "description": "In the course's order.", "items": {"type": "object", "additionalProperties": false, "required": ["id", "title"], "properties": {
            "id": {"type": "string", "description": "The task's id in the course, stable."}, "title": {"$ref": "#/components/schemas/LocalText"}}}},
          "teams": {"type": "array", "minItems": 1, "items": {"type": "string"}, "description": "The names of the community digital technology teams (tổ công nghệ số cộng đồng) whose leader confirmed them, first confirmed first; one but for a holder who moved team."},
          "confirmed_on": {"type": "string", "format": "date", "description": "The day of the last confirmation, Vietnam time (YYYY-MM-DD)."}
        }},
      "VerificationUnknown": {"type": "object", "additionalProperties": false, "required": ["status", "code"],
        "properties": {"status": {"const": "unknown"}, "code": {"type": "string"}}},
      "VerificationMistyped": {"type": "object", "additionalProperties": false, "required": ["status", "code", "message"],
        "properties": {"status": {"const": "mistyped"}, "code": {"type": "string"}, "message": {"type": "string"}}},
      "CredentialVerified": {"type": "object", "additionalProperties": false,
        "required": ["verified", "id", "holder", "achievement", "issuer", "valid_from"],
        "properties": {
          "verified": {"const": true},
          "id": {"type": "string", "format": "uri", "description": "The certificate's verification page."},
          "holder": {"type": "string"}, "achievement": {"type": "string"},
          "issuer": {"type": "string", "description": "did:key of the signing key."},
          "valid_from": {"type": "string", "format": "date-time"}
        }},
      "CredentialRefused": {"type": "object", "additionalProperties": false, "required": ["verified", "reason", "detail"],
        "properties": {
          "verified": {"const": false},
          "reason": {"type": "string", "enum": ["revoked", "bad_signature", "unknown_issuer", "malformed", "invalid"]},
          "detail": {"type": "string"}
        }},
      "Credential": {"type": "object", "description": "An Open Badges 3.0 OpenBadgeCredential (W3C VC 2.0) with an eddsa-rdfc-2022 DataIntegrityProof.",
        "required": ["@context", "id", "type", "issuer", "validFrom", "credentialSubject", "proof"],
        "properties": {
          "@context": {"type": "array", "items": {"type": "string"}},
          "id": {"type": "string", "format": "uri"},
          "type": {"type": "array", "items": {"type": "string"}},
          "issuer": {"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}},
          "validFrom": {"type": "string", "format": "date-time"},
          "credentialSubject": {"type": "object"},
          "credentialStatus": {"type": "object", "required": ["statusListCredential", "statusListIndex"],
            "properties": {"statusListCredential": {"type": "string", "format": "uri"}, "statusListIndex": {"type": "string"}}},
          "proof": {"$ref": "#/components/schemas/Proof"}
        }},
      "StatusListCredential": {"type": "object",
        "required": ["@context", "id", "type", "issuer", "validFrom", "credentialSubject", "proof"],
        "properties": {
          "@context": {"type": "array", "items": {"type": "string"}},
          "id": {"type": "string", "format": "uri"},
          "type": {"type": "array", "items": {"type": "string"}},
          "validFrom": {"type": "string", "format": "date-time"},
          "credentialSubject": {"type": "object", "required": ["type", "statusPurpose", "encodedList"], "properties": {
            "type": {"const": "BitstringStatusList"}, "statusPurpose": {"const": "revocation"},
            "encodedList": {"type": "string", "description": "Multibase base64url (u…) of the GZIP-compressed bitstring."}}},
          "proof": {"$ref": "#/components/schemas/Proof"}
        }},
      "Proof": {"type": "object", "required": ["type", "cryptosuite", "verificationMethod", "proofPurpose", "proofValue"],
        "properties": {
          "type": {"const": "DataIntegrityProof"}, "cryptosuite": {"const": "eddsa-rdfc-2022"},
          "verificationMethod": {"type": "string"}, "proofPurpose": {"const": "assertionMethod"},
          "proofValue": {"type": "string"}, "created": {"type": "string", "format": "date-time"}
        }},
      "JWKS": {"type": "object", "additionalProperties": false, "required": ["keys"], "properties": {
        "keys": {"type": "array", "minItems": 1, "items": {"type": "object", "additionalProperties": false,
          "required": ["kty", "crv", "x", "kid", "alg", "use"], "properties": {
            "kty": {"const": "OKP"}, "crv": {"const": "Ed25519"}, "x": {"type": "string"},
            "kid": {"type": "string", "description": "The verification method (did:key…#…) credentials name."},
            "alg": {"const": "EdDSA"}, "use": {"const": "sig"}}}}}},
      "Ranking": {"type": "object", "additionalProperties": false, "required": ["quarter", "final", "counted_at", "provinces", "communes"],
        "properties": {
          "quarter": {"type": "string"}, "final": {"type": "boolean"}, "counted_at": {"type": "string", "format": "date-time"},
          "provinces": {"type": ["array", "null"], "items": {"$ref": "#/components/schemas/RankEntry"}},
          "communes": {"type": ["object", "null"], "description": "Each province's communes, by province code.",
            "additionalProperties": {"type": ["array", "null"], "items": {"$ref": "#/components/schemas/RankEntry"}}}
        }},
      "ProvinceRanking": {"type": "object", "additionalProperties": false, "required": ["quarter", "final", "counted_at", "province", "communes"],
        "properties": {
          "quarter": {"type": "string"}, "final": {"type": "boolean"}, "counted_at": {"type": "string", "format": "date-time"},
          "province": {"type": "string"},
          "communes": {"type": ["array", "null"], "items": {"$ref": "#/components/schemas/RankEntry"}}
        }},
      "RankEntry": {"type": "object", "additionalProperties": false, "required": ["code", "name"],
        "properties": {
          "code": {"type": "string"}, "name": {"type": "string"},
          "rank": {"type": "integer", "description": "1 for the best; absent when not ranked (no figures, or no households recorded)."},
          "suppressed": {"type": "boolean", "description": "Too few learners to publish figures; none are given."},
          "learners": {"type": "integer"}, "active_learners": {"type": "integer"},
          "certificates_in_quarter": {"type": "integer"},
          "households_recorded": {"type": "integer"}, "households_covered": {"type": "integer"},
          "share_covered": {"type": "number", "description": "households_covered / households_recorded; absent when none is recorded."}
        }},
      "Commune": {"type": "object", "additionalProperties": false, "required": ["code", "name", "folded"], "properties": {
        "code": {"type": "string"}, "name": {"type": "string"}, "folded": {"type": "string", "description": "The name without diacritics, lower case."}}}
    }
  }
}`
