-- A tailjit database at schema version 1 (no append-only triggers, no indexes yet): three
-- requests and seven audit records, dumped with iterdump. Kept as it is; test_migrations.py upgrades it.
PRAGMA user_version = 1;
BEGIN TRANSACTION;
CREATE TABLE audit (
                seq INTEGER PRIMARY KEY,
                at TEXT NOT NULL,
                recorded_at TEXT NOT NULL,
                event TEXT NOT NULL,
                actor TEXT NOT NULL,
                subject TEXT NOT NULL,
                sentence TEXT NOT NULL,
                data TEXT NOT NULL,
                prev TEXT NOT NULL,
                hash TEXT NOT NULL
            );
INSERT INTO "audit" VALUES(1,'2026-01-01T12:00:00.000000Z','2026-01-01T12:00:00.000000Z','request.created','alice@example.com','request:00000001','alice@example.com requested db-prod:5432 for 1h under eligibility db-prod (request 00000001, pending approval)','{"duration":"1h","eligibility":"db-prod","grant":"G0000001","lapses_at":"2026-01-02T12:00:00.000000Z","mode":"policy+posture","origin":"requested","reason":"INC-1","request":"00000001","requester":"alice@example.com","state":"pending","target":"db-prod:5432","ticket":null}','0000000000000000000000000000000000000000000000000000000000000000','da74e187d3be070023bef10f13ab664b2f3413cd8931c411d1958d9cb26bc6be');
INSERT INTO "audit" VALUES(2,'2026-01-01T12:01:00.000000Z','2026-01-01T12:00:00.000000Z','request.approved','bob@example.com','request:00000001','bob@example.com approved request 00000001 (alice@example.com -> db-prod:5432); it is approved','{"approved_by":["bob@example.com"],"auto_approval":null,"comment":null,"eligibility":"db-prod","grant":"G0000001","origin":"requested","request":"00000001","requester":"alice@example.com","stage":1,"stages":1,"state":"approved","target":"db-prod:5432"}','da74e187d3be070023bef10f13ab664b2f3413cd8931c411d1958d9cb26bc6be','b60a2a333491e1cfd7527d0eb3a8cb5870df404ef284b7a66fdc3dc668fa419f');
INSERT INTO "audit" VALUES(3,'2026-01-01T12:02:00.000000Z','2026-01-01T12:00:00.000000Z','grant.activated','tailjit','grant:G0000001','grant G0000001 is active: alice@example.com may reach db-prod:5432 until 2026-01-01T13:02:00Z','{"activated_at":"2026-01-01T12:02:00.000000Z","breakglass":false,"comment":null,"eligibility":"db-prod","expires_at":"2026-01-01T13:02:00.000000Z","extensions":0,"grant":"G0000001","granted":"1h","request":"00000001","requester":"alice@example.com","state":"active","target":"db-prod:5432"}','b60a2a333491e1cfd7527d0eb3a8cb5870df404ef284b7a66fdc3dc668fa419f','da34fa4163b4b9ab236ba1256156e8812af9f5d79a48c938d02bb7a2377a958d');
INSERT INTO "audit" VALUES(4,'2026-01-01T12:00:00.000000Z','2026-01-01T12:00:00.000000Z','request.created','alice@example.com','request:00000002','alice@example.com requested db-prod:5432 for 1h under eligibility db-prod (request 00000002, pending approval)','{"duration":"1h","eligibility":"db-prod","grant":"G0000002","lapses_at":"2026-01-02T12:00:00.000000Z","mode":"policy+posture","origin":"requested","reason":"INC-1","request":"00000002","requester":"alice@example.com","state":"pending","target":"db-prod:5432","ticket":null}','da34fa4163b4b9ab236ba1256156e8812af9f5d79a48c938d02bb7a2377a958d','f6265e814f28de8bbc92ccbdfae608183ede2aef25f8d5a5e49d02309e8aa20e');
INSERT INTO "audit" VALUES(5,'2026-01-01T12:00:00.000000Z','2026-01-01T12:00:00.000000Z','request.created','alice@example.com','request:00000003','alice@example.com requested db-prod:5432 for 1h under eligibility db-prod (request 00000003, pending approval)','{"duration":"1h","eligibility":"db-prod","grant":"G0000003","lapses_at":"2026-01-02T12:00:00.000000Z","mode":"policy+posture","origin":"requested","reason":"INC-1","request":"00000003","requester":"alice@example.com","state":"pending","target":"db-prod:5432","ticket":null}','f6265e814f28de8bbc92ccbdfae608183ede2aef25f8d5a5e49d02309e8aa20e','ccf0f4b8ad4dab9d4e59b065a0602461227ea902b0e758709267aaede4e2513e');
INSERT INTO "audit" VALUES(6,'2026-01-01T12:01:00.000000Z','2026-01-01T12:00:00.000000Z','request.denied','carol@example.com','request:00000003','carol@example.com denied request 00000003 (alice@example.com -> db-prod:5432)','{"comment":null,"eligibility":"db-prod","grant":"G0000003","request":"00000003","requester":"alice@example.com","state":"denied","target":"db-prod:5432"}','ccf0f4b8ad4dab9d4e59b065a0602461227ea902b0e758709267aaede4e2513e','0524fc86f57f59b8b1539689d20a06cdca10024c64a579c41a0e8568f2870187');
INSERT INTO "audit" VALUES(7,'2026-01-01T12:03:00.000000Z','2026-01-01T12:00:00.000000Z','drift.detected','tailjit','policy','drift (hand-edit) on policy: a comment was added by hand','{"detail":{},"kind":"hand-edit"}','0524fc86f57f59b8b1539689d20a06cdca10024c64a579c41a0e8568f2870187','dd473c171e5f9733538ae11372381d54812bb63d741c8fd0b6fedae74ee27a8e');
CREATE TABLE audit_head (
                id INTEGER PRIMARY KEY CHECK (id = 1),
                seq INTEGER NOT NULL,
                hash TEXT NOT NULL
            );
INSERT INTO "audit_head" VALUES(1,7,'dd473c171e5f9733538ae11372381d54812bb63d741c8fd0b6fedae74ee27a8e');
CREATE TABLE requests (
                id TEXT PRIMARY KEY,
                grant_id TEXT NOT NULL UNIQUE,
                requester TEXT NOT NULL,
                target TEXT NOT NULL,
                eligibility TEXT NOT NULL,
                state TEXT NOT NULL,
                created_at TEXT NOT NULL,
                lapses_at TEXT NOT NULL,
                expires_at TEXT,
                version INTEGER NOT NULL,
                body TEXT NOT NULL
            );
INSERT INTO "requests" VALUES('00000001','G0000001','alice@example.com','db-prod:5432','db-prod','active','2026-01-01T12:00:00.000000Z','2026-01-02T12:00:00.000000Z','2026-01-01T13:02:00.000000Z',3,'{"activated_at":"2026-01-01T12:02:00.000000Z","approvals":[{"approver":"bob@example.com","at":"2026-01-01T12:01:00.000000Z","comment":null,"stage":0}],"approved":{"actor":"bob@example.com","at":"2026-01-01T12:01:00.000000Z","comment":null},"auto_approval":null,"created":{"actor":"alice@example.com","at":"2026-01-01T12:00:00.000000Z","comment":null},"duration":3600,"ended":null,"extensions":[],"grant_id":"G0000001","id":"00000001","origin":"requested","reason":"INC-1","requester":"alice@example.com","rules":{"attribute":null,"breakglass":{"max_duration":1800,"users":["group:dba"]},"default_duration":3600,"eligibility":"db-prod","max_duration":14400,"max_extensions":2,"mode":"policy+posture","pending_ttl":86400,"reason_required":true,"self_approval":false,"stages":[{"approvers":["bob@example.com","carol@example.com"],"required":1}],"ticket_pattern":null},"state":"active","target":"db-prod:5432","ticket":null,"version":3}');
INSERT INTO "requests" VALUES('00000002','G0000002','alice@example.com','db-prod:5432','db-prod','pending','2026-01-01T12:00:00.000000Z','2026-01-02T12:00:00.000000Z',NULL,1,'{"activated_at":null,"approvals":[],"approved":null,"auto_approval":null,"created":{"actor":"alice@example.com","at":"2026-01-01T12:00:00.000000Z","comment":null},"duration":3600,"ended":null,"extensions":[],"grant_id":"G0000002","id":"00000002","origin":"requested","reason":"INC-1","requester":"alice@example.com","rules":{"attribute":null,"breakglass":{"max_duration":1800,"users":["group:dba"]},"default_duration":3600,"eligibility":"db-prod","max_duration":14400,"max_extensions":2,"mode":"policy+posture","pending_ttl":86400,"reason_required":true,"self_approval":false,"stages":[{"approvers":["bob@example.com","carol@example.com"],"required":1}],"ticket_pattern":null},"state":"pending","target":"db-prod:5432","ticket":null,"version":1}');
INSERT INTO "requests" VALUES('00000003','G0000003','alice@example.com','db-prod:5432','db-prod','denied','2026-01-01T12:00:00.000000Z','2026-01-02T12:00:00.000000Z',NULL,2,'{"activated_at":null,"approvals":[],"approved":null,"auto_approval":null,"created":{"actor":"alice@example.com","at":"2026-01-01T12:00:00.000000Z","comment":null},"duration":3600,"ended":{"actor":"carol@example.com","at":"2026-01-01T12:01:00.000000Z","comment":null},"extensions":[],"grant_id":"G0000003","id":"00000003","origin":"requested","reason":"INC-1","requester":"alice@example.com","rules":{"attribute":null,"breakglass":{"max_duration":1800,"users":["group:dba"]},"default_duration":3600,"eligibility":"db-prod","max_duration":14400,"max_extensions":2,"mode":"policy+posture","pending_ttl":86400,"reason_required":true,"self_approval":false,"stages":[{"approvers":["bob@example.com","carol@example.com"],"required":1}],"ticket_pattern":null},"state":"denied","target":"db-prod:5432","ticket":null,"version":2}');
COMMIT;
