// One Element user, driven over JSON lines: a command per stdin line, an answer per stdout line.
//
// It runs matrix-js-sdk with its Rust crypto, the engine inside Element Web and Element X,
// so the tests meet the bot the way participants and mediators do.
//
// Command:  {"id": 1, "cmd": "send_text", "room_id": "!r:localhost", "body": "hej"}
// Answer:   {"id": 1, "ok": true, "result": {"event_id": "$e"}}
// Failure:  {"id": 1, "ok": false, "error": {"name": "...", "message": "...", ...}}
//
// Commands run concurrently and answer by id. A bad command gets an error answer; nothing
// a command does ends the process except `stop` or stdin closing.

import { createInterface } from "node:readline";

// stdout carries the protocol only. The SDK and its Rust crypto log through console, and
// loglevel binds console methods when the SDK is imported, so console is redirected first
// and the SDK is imported after.
const protocolOut = process.stdout.write.bind(process.stdout);
for (const method of ["log", "info", "debug", "trace", "warn", "error"]) {
    console[method] = (...args) => process.stderr.write(args.map(String).join(" ") + "\n");
}

// matrix-js-sdk 43 asks for Node 22; on Node 20 its sync loop stops at the first use of
// Promise.withResolvers (Node 22). The standard's definition, for older Node only:
Promise.withResolvers ??= function withResolvers() {
    let resolve;
    let reject;
    const promise = new this((res, rej) => {
        resolve = res;
        reject = rej;
    });
    return { promise, resolve, reject };
};

const sdk = await import("matrix-js-sdk");
const cryptoApi = await import("matrix-js-sdk/lib/crypto-api/index.js");
const { logger } = await import("matrix-js-sdk/lib/logger.js");
logger.setLevel(process.env.ELEMENT_DRIVER_LOG ?? "warn");

const ISOLATION = {
    only_signed: () => new cryptoApi.OnlySignedDevicesIsolationMode(),
    // Element's legacy mode: share keys with, and decrypt from, devices nobody signed.
    all_devices: () => new cryptoApi.AllDevicesIsolationMode(false),
};

let client = null;
let password = null;
let echoing = false;
// Every timeline event seen, in arrival order; a "mark" is a position in this list.
const seen = [];
// When each event was decrypted (ms since the epoch), for the benchmarks' arrival times.
const decryptedAt = new WeakMap();
// Milliseconds since the epoch with sub-millisecond resolution, comparable with Python's
// time.time() on the same machine.
const now = () => performance.timeOrigin + performance.now();

class CommandError extends Error {
    constructor(name, message, details = {}) {
        super(message);
        this.name = name;
        this.details = details;
    }
}

function need(args, ...keys) {
    for (const key of keys) {
        if (args[key] === undefined || args[key] === null || args[key] === "") {
            throw new CommandError("BadCommand", `missing argument: ${key}`);
        }
    }
}

function started() {
    if (client === null) throw new CommandError("NotLoggedIn", "log in first");
    return client;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what, timeoutMs, probe) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const value = await probe();
        if (value) return value;
        if (Date.now() >= deadline) throw new CommandError("Timeout", `timed out waiting for ${what}`);
        await sleep(100);
    }
}

function describe(event, at) {
    const content = event.getContent();
    return {
        seq: null,
        event_id: event.getId(),
        sender: event.getSender(),
        type: event.getType(),
        msgtype: content.msgtype ?? null,
        body: content.body ?? null,
        // When the user could read it: in the timeline and decrypted, whichever came last
        // (the SDK may decrypt an event before or after adding it to the timeline).
        arrived_ms: Math.max(at, decryptedAt.get(event) ?? at),
    };
}

async function shield(event) {
    // The shield Element draws beside a message: RED + UNSIGNED_DEVICE is "Encrypted by a
    // device not verified by its owner".
    const info = await client.getCrypto().getEncryptionInfoForEvent(event);
    if (info === null) return { shield: null, shield_reason: null };
    return {
        shield: cryptoApi.EventShieldColour[info.shieldColour],
        shield_reason:
            info.shieldReason === null ? null : cryptoApi.EventShieldReason[info.shieldReason],
    };
}

const commands = {
    async login(args) {
        need(args, "homeserver", "user_id");
        if (client !== null) throw new CommandError("AlreadyLoggedIn", "one user per driver");
        let session;
        if (args.access_token) {
            need(args, "device_id");
            session = { user_id: args.user_id, device_id: args.device_id, access_token: args.access_token };
        } else {
            need(args, "password");
            const anonymous = sdk.createClient({ baseUrl: args.homeserver });
            session = await anonymous.loginRequest({
                type: "m.login.password",
                identifier: { type: "m.id.user", user: args.user_id },
                password: args.password,
                initial_device_display_name: args.device_name ?? "Element",
            });
            password = args.password;
        }
        client = sdk.createClient({
            baseUrl: args.homeserver,
            userId: session.user_id,
            deviceId: session.device_id,
            accessToken: session.access_token,
        });
        return { user_id: session.user_id, device_id: session.device_id };
    },

    async start(args) {
        const c = started();
        // In memory: each driver is a fresh device, like a phone after a new login.
        await c.initRustCrypto({ useIndexedDB: false });
        c.getCrypto().setDeviceIsolationMode(isolation(args.isolation ?? "only_signed"));
        c.on(sdk.RoomEvent.Timeline, (event, room, toStartOfTimeline) => {
            if (!toStartOfTimeline && room) seen.push({ roomId: room.roomId, event, at: now() });
        });
        c.on(sdk.MatrixEventEvent.Decrypted, (event) => {
            if (!event.isDecryptionFailure()) decryptedAt.set(event, now());
        });
        // Element joins when the user taps an invite; the tests always tap yes.
        c.on(sdk.RoomMemberEvent.Membership, (_event, member) => {
            if (member.userId === c.getUserId() && member.membership === "invite") {
                c.joinRoom(member.roomId).catch((error) => console.warn("join failed", error.message));
            }
        });
        const prepared = new Promise((resolve, reject) => {
            c.on(sdk.ClientEvent.Sync, (state, _previous, data) => {
                if (state === "PREPARED") resolve();
                if (state === "ERROR") reject(new CommandError("SyncFailed", String(data?.error?.message)));
            });
        });
        await c.startClient({ initialSyncLimit: 20 });
        await prepared;
        return { device_id: c.getDeviceId() };
    },

    async set_isolation(args) {
        started().getCrypto().setDeviceIsolationMode(isolation(args.mode));
        return {};
    },

    async bootstrap_cross_signing() {
        // What Element does at first login: its own master, self-signing and user-signing keys.
        const c = started();
        if (password === null) throw new CommandError("NoPassword", "log in with a password first");
        await c.getCrypto().bootstrapCrossSigning({
            authUploadDeviceSigningKeys: (makeRequest) =>
                makeRequest({
                    type: "m.login.password",
                    identifier: { type: "m.id.user", user: c.getUserId() },
                    password,
                }),
        });
        const crossSigning = await c.getCrypto().getCrossSigningStatus();
        // The own device's signature comes back through a key query, a moment later.
        let signed = false;
        const deadline = Date.now() + 10000;
        while (!signed && Date.now() < deadline) {
            await c.getCrypto().getUserDeviceInfo([c.getUserId()], true);
            const status = await c.getCrypto().getDeviceVerificationStatus(c.getUserId(), c.getDeviceId());
            signed = status?.signedByOwner ?? false;
            if (!signed) await sleep(200);
        }
        return { public_keys_on_device: crossSigning.publicKeysOnDevice, signed_by_owner: signed };
    },

    async create_dm(args) {
        need(args, "invite");
        const c = started();
        const initial_state = [];
        if (args.encrypted ?? true) {
            initial_state.push({
                type: "m.room.encryption",
                state_key: "",
                content: { algorithm: "m.megolm.v1.aes-sha2" },
            });
        }
        const { room_id } = await c.createRoom({
            is_direct: true,
            preset: "trusted_private_chat",
            invite: [args.invite],
            initial_state,
        });
        // Element records the chat as direct in account data, so do the same.
        const direct = c.getAccountData("m.direct")?.getContent() ?? {};
        direct[args.invite] = [...(direct[args.invite] ?? []), room_id];
        await c.setAccountData("m.direct", direct);
        await waitMember(room_id, args.invite, args.timeout_ms ?? 30000);
        return { room_id };
    },

    async join(args) {
        need(args, "room_id");
        const room = await started().joinRoom(args.room_id);
        return { room_id: room.roomId };
    },

    async wait_member(args) {
        need(args, "room_id", "user_id");
        await waitMember(args.room_id, args.user_id, args.timeout_ms ?? 30000);
        return {};
    },

    async mark() {
        return { mark: seen.length };
    },

    async send_text(args) {
        need(args, "room_id", "body");
        const c = started();
        // The moment the user taps send; encrypting and sending are part of the round trip.
        const sentMs = now();
        const sent = await c.sendMessage(args.room_id, { msgtype: "m.text", body: args.body });
        return { event_id: sent.event_id, sent_ms: sentMs };
    },

    async echo() {
        // A bare bot, the benchmarks' floor: it answers every text from someone else with
        // the same text, as a notice, as soon as it can read it. It joins every invite.
        const c = started();
        if (echoing) return {};
        echoing = true;
        const since = Date.now();
        const answered = new Set();
        const answer = (event) => {
            if (event.getSender() === c.getUserId() || event.getType() !== "m.room.message") return;
            if (event.isBeingDecrypted() || event.isDecryptionFailure()) return;
            // Only what is sent from now on; a joined room's history is not a question.
            if (event.getTs() < since || answered.has(event.getId())) return;
            const body = event.getContent().body;
            if (typeof body !== "string") return;
            answered.add(event.getId());
            c.sendMessage(event.getRoomId(), { msgtype: "m.notice", body }).catch((error) =>
                console.warn("echo failed", error.message),
            );
        };
        // Decryption may finish before or after the event joins the timeline: both call.
        c.on(sdk.RoomEvent.Timeline, (event, room, toStartOfTimeline) => {
            if (!toStartOfTimeline && room) answer(event);
        });
        c.on(sdk.MatrixEventEvent.Decrypted, answer);
        return {};
    },

    async rooms() {
        return {
            rooms: started()
                .getRooms()
                .map((room) => ({ room_id: room.roomId, name: room.name, membership: room.getMyMembership() })),
        };
    },

    async send_reaction(args) {
        need(args, "room_id", "event_id");
        const sent = await started().sendEvent(args.room_id, "m.reaction", {
            "m.relates_to": { rel_type: "m.annotation", event_id: args.event_id, key: args.key ?? "✅" },
        });
        return { event_id: sent.event_id };
    },

    async wait_messages(args) {
        // Messages in a room since a mark: at least `count` within `timeout_ms`, then whatever
        // else comes until `quiet_ms` pass without a new one. Undecryptable events are
        // reported with Element's reason, which is what a test needs to see when it fails.
        need(args, "room_id");
        const c = started();
        const since = args.since ?? 0;
        const count = args.count ?? 1;
        const contains = args.contains ?? "";
        const select = () => {
            const messages = [];
            const failures = [];
            for (let seq = since; seq < seen.length; seq++) {
                const { roomId, event, at } = seen[seq];
                if (roomId !== args.room_id || event.getSender() === c.getUserId()) continue;
                if (args.sender && event.getSender() !== args.sender) continue;
                if (event.isDecryptionFailure()) {
                    failures.push({ ...describe(event, at), seq, reason: event.decryptionFailureReason });
                } else if (event.getType() === "m.room.message" && !event.isBeingDecrypted()) {
                    if ((event.getContent().body ?? "").includes(contains)) {
                        messages.push({ ...describe(event, at), seq, event });
                    }
                }
            }
            return { messages, failures };
        };
        let found = select();
        const deadline = Date.now() + (args.timeout_ms ?? 30000);
        while (found.messages.length < count) {
            if (Date.now() >= deadline) {
                throw new CommandError("Timeout", `${found.messages.length} of ${count} messages`, {
                    received: found.messages.map(({ event, ...rest }) => rest),
                    undecryptable: found.failures,
                });
            }
            await sleep(100);
            found = select();
        }
        let quietSince = Date.now();
        let known = found.messages.length;
        while (Date.now() - quietSince < (args.quiet_ms ?? 0)) {
            await sleep(100);
            found = select();
            if (found.messages.length > known) {
                known = found.messages.length;
                quietSince = Date.now();
            }
        }
        const messages = [];
        for (const { event, ...rest } of found.messages) messages.push({ ...rest, ...(await shield(event)) });
        return { messages, undecryptable: found.failures, next: seen.length };
    },

    async device_status(args) {
        // How Element judges another user's devices: the same calls its shields use.
        need(args, "user_id");
        const crypto = started().getCrypto();
        const devices = (await crypto.getUserDeviceInfo([args.user_id], true)).get(args.user_id);
        const result = {};
        for (const deviceId of devices?.keys() ?? []) {
            const status = await crypto.getDeviceVerificationStatus(args.user_id, deviceId);
            result[deviceId] = {
                signed_by_owner: status?.signedByOwner ?? false,
                cross_signing_verified: status?.crossSigningVerified ?? false,
                locally_verified: status?.localVerified ?? false,
                tofu: status?.tofu ?? false,
            };
        }
        const user = await crypto.getUserVerificationStatus(args.user_id);
        return { devices: result, identity_known: user.known };
    },

    async logout() {
        // Ends the session and deletes the device, so nobody keeps encrypting to it.
        await started().logout(true);
        return {};
    },

    async stop() {
        if (client !== null) client.stopClient();
        setImmediate(() => process.exit(0));
        return {};
    },
};

function isolation(mode) {
    const make = ISOLATION[mode];
    if (!make) throw new CommandError("BadCommand", `isolation must be one of ${Object.keys(ISOLATION)}`);
    return make();
}

async function waitMember(roomId, userId, timeoutMs) {
    const c = started();
    await until(`${userId} to join`, timeoutMs, () =>
        c.getRoom(roomId)?.getMember(userId)?.membership === "join",
    );
}

function answer(message) {
    protocolOut(JSON.stringify(message) + "\n");
}

function failure(error) {
    return {
        name: error?.name ?? "Error",
        message: error?.message ?? String(error),
        errcode: error?.errcode,
        http_status: error?.httpStatus,
        ...(error?.details ?? {}),
    };
}

async function run(line) {
    let request;
    try {
        request = JSON.parse(line);
    } catch {
        answer({ id: null, ok: false, error: { name: "BadJson", message: "a command is one JSON object" } });
        return;
    }
    const id = request?.id ?? null;
    const command = commands[request?.cmd];
    if (!command) {
        answer({ id, ok: false, error: { name: "UnknownCommand", message: String(request?.cmd) } });
        return;
    }
    try {
        answer({ id, ok: true, result: await command(request) });
    } catch (error) {
        answer({ id, ok: false, error: failure(error) });
    }
}

// A background failure inside the SDK must not take the user's session down with it.
process.on("unhandledRejection", (error) => console.warn("unhandled rejection", error?.message ?? error));

const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
lines.on("line", (line) => {
    if (line.trim()) run(line);
});
lines.on("close", () => {
    if (client !== null) client.stopClient();
    process.exit(0);
});
