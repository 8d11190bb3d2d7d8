# tally's Cap'n Proto schema: the TCP wire protocol (ClientMessage / ServerMessage) and the storage format of
# the event log (StoredEvent). This file is public documentation: every field says what it means. Ordinals are
# only ever appended, never reused or renumbered, so old producers, old logs and new servers keep working.
#
# Framing: a TCP connection carries a stream of Cap'n Proto messages in the standard stream framing (segment
# table followed by segments, exactly what capnp::writeMessage writes). Each message's root is one
# ClientMessage (client -> server) or one ServerMessage (server -> client).
#
# Conversation: Hello -> Welcome (or Error, then close); then any number of Batch messages, pipelined; the
# server answers each Batch with one Ack, in the order the batches were received.
#
# Absence: a Text field that is not set (null pointer) means "absent", exactly like JSON null or a missing JSON
# key. An empty Text is present and empty (and usually rejected as invalid_value). Optional scalars are
# unions whose `none` member is the default, so an unset `confidence` is never mistaken for 0.

@0xc313be328cb51a24;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("tally::wire");

# ---------------------------------------------------------------------------------------------------------
# Wire event
# ---------------------------------------------------------------------------------------------------------

# The four CSI pillar weights of a store_configured event. Each must be >= 0 and not all 0.
struct CsiWeights {
  effectiveness @0 :Float64;
  effort @1 :Float64;
  efficiency @2 :Float64;
  empathy @3 :Float64;
}

# One event as a producer sends it: the same fields as the JSON event (snake_case there, camelCase here). The
# server validates it with exactly the same rules and in the same order as a JSON event; which fields a type
# requires or allows, and their ranges, are described in the JSON event catalogue. A field the event's type
# does not list must be left unset (otherwise the event is rejected unknown_field).
struct Event {
  # --- Envelope (every event) ---
  eventId @0 :Text;        # 1-128 bytes; (storeId, eventId) is unique forever: a repeat is a duplicate.
  type @1 :Text;           # the event type name, e.g. "conversation_started".
  storeId @2 :Text;        # tenant, 1-128 bytes of [A-Za-z0-9_.:-].
  occurredAt @3 :Text;     # RFC 3339 time with any offset and fraction; truncated to milliseconds.
  properties @4 :Text;     # optional: the text of a JSON object, kept byte for byte and never interpreted.

  # --- Conversation events ---
  conversationId @5 :Text; # id, 1-128 bytes.
  customerId @6 :Text;     # id, 1-128 bytes (conversation_started).
  channel @7 :Text;        # 1-128 bytes (conversation_started, optional).
  customerName @8 :Text;   # free text, UTF-8, at most 16 KiB (conversation_started, optional).
  sender @9 :Text;         # "customer" | "agent" | "ai" (message_sent).
  text @10 :Text;          # free text (message_sent, optional).
  agentId @11 :Text;       # id (message_sent, optional).
  resolvedBy @12 :Text;    # "agent" | "ai" (conversation_resolved, optional; absent means agent).
  reason @13 :Text;        # free text (conversation_escalated, optional).
  query @14 :Text;         # free text (knowledge_retrieved).
  topic @15 :Text;         # 1-128 bytes (knowledge_retrieved, content_gap_status_changed).
  confidence :union {      # [0, 1] (knowledge_retrieved; pass_completed, optional).
    none @16 :Void;
    value @17 :Float64;
  }
  url @18 :Text;           # free text (citation_clicked, optional).

  # --- quality_scored: each in [0, 1] ---
  overall :union { none @19 :Void; value @20 :Float64; }
  helpfulness :union { none @21 :Void; value @22 :Float64; }
  accuracy :union { none @23 :Void; value @24 :Float64; }
  politeness :union { none @25 :Void; value @26 :Float64; }

  # --- analysis_scored ---
  analysisDate @27 :Text;  # "YYYY-MM-DD".
  sentimentScore :union { none @28 :Void; value @29 :Float64; }      # [0, 10]
  sentimentShift :union { none @30 :Void; value @31 :Float64; }      # [-5, 5]
  resolutionAchieved :union { none @32 :Void; value @33 :Float64; }  # [0, 10]
  fcrScore :union { none @34 :Void; value @35 :Float64; }            # [0, 10]
  ces :union { none @36 :Void; value @37 :Float64; }                 # [1, 7]

  # --- pass_completed / usage_recorded ---
  shellFileId @38 :Text;   # id (pass_completed).
  profileId @39 :Text;     # id (pass_completed; usage_recorded, optional).
  pass :union { none @40 :Void; value @41 :Int64; }                  # 1, 2 or 3
  success :union { none @42 :Void; value @43 :Bool; }
  model @44 :Text;         # 1-128 bytes (pass_completed).
  tokens :union { none @45 :Void; value @46 :Int64; }                # integer >= 0
  costUsd :union { none @47 :Void; value @48 :Float64; }             # US dollars, >= 0
  processingTimeMs :union { none @49 :Void; value @50 :Int64; }      # integer >= 0
  entities :union { none @51 :Void; value @52 :Int64; }              # integer >= 0 (optional)
  manualReview :union { none @53 :Void; value @54 :Bool; }           # optional
  service @55 :Text;       # 1-128 bytes (usage_recorded).
  operation @56 :Text;     # 1-128 bytes (usage_recorded).

  # --- content_gap_status_changed ---
  status @57 :Text;        # "identified" | "in_progress" | "resolved".

  # --- store_configured: at least one of these ---
  timezone @58 :Text;      # IANA zone name, e.g. "Europe/Paris".
  gapConfidenceThreshold :union { none @59 :Void; value @60 :Float64; }  # [0, 1]
  humanCostPerHour :union { none @61 :Void; value @62 :Float64; }        # US dollars, >= 0
  minutesPerConversation :union { none @63 :Void; value @64 :Float64; }  # >= 0
  aiCostPerConversation :union { none @65 :Void; value @66 :Float64; }   # US dollars, >= 0
  csiWeights :union { none @67 :Void; value @68 :CsiWeights; }

  # --- Fields a converting client could not map ---
  # The text of a JSON object holding every field of the producer's JSON event that has no typed slot above:
  # names this schema does not know, and known names whose JSON value the typed slot cannot hold (a string
  # for `confidence`, 1.5 or 1e30 for `tokens`, an object with extra keys for `csi_weights`, ...). The server
  # judges them exactly as it would inside a JSON event (unknown name -> unknown_field, unfit value ->
  # invalid_value), so converting to Cap'n Proto never silently drops or changes data. A name present both
  # here and in its typed slot is a repeated key (malformed). Null or "{}" when there is nothing to carry.
  unknownFields @69 :Text;
}

# ---------------------------------------------------------------------------------------------------------
# Connection messages
# ---------------------------------------------------------------------------------------------------------

# First message of a connection, client -> server.
struct Hello {
  protocolVersion @0 :UInt32;  # the protocol version the client speaks; currently 1.
  producerId @1 :Text;         # free-form name of the producer, for logs and metrics.
  token @2 :Text;              # auth token (the same tokens as HTTP's Bearer); null/empty without --auth.
}

# Server's answer to an accepted Hello.
struct Welcome {
  serverVersion @0 :Text;      # tally's version, e.g. "0.1.0".
  protocolVersion @1 :UInt32;  # the protocol version the server will speak on this connection.
}

# A connection-level failure (bad hello, limit exceeded, batchSeq not increasing, ...). The server closes the
# connection after sending it. Per-event problems are never an Error: they are Ack.rejected entries.
struct Error {
  code @0 :Text;     # machine-readable, snake_case (e.g. "unauthorized", "bad_batch_seq", "too_large").
  message @1 :Text;  # human-readable explanation.
}

# A group of events, client -> server. Any number may be in flight; the server acks them in order.
struct Batch {
  batchSeq @0 :UInt64;         # strictly increasing on a connection (otherwise Error "bad_batch_seq").
  sentAt @1 :Text;             # client clock when sent, RFC 3339; null/empty = not given. When given, every
                               # occurredAt is corrected for clock skew: receivedAt + (occurredAt - sentAt).
  events @2 :List(Event);
}

# An event of a batch that was already in the log: it was not appended again.
struct Duplicate {
  index @0 :UInt32;  # 0-based position in Batch.events.
  seq @1 :UInt64;    # sequence number of the original (first) copy.
}

# An event of a batch that failed validation; it was quarantined and reserves nothing.
struct Rejection {
  index @0 :UInt32;    # 0-based position in Batch.events.
  eventId @1 :Text;    # the event's eventId as sent, when it could be read; empty otherwise.
  code @2 :Text;       # malformed | too_large | unknown_type | forbidden | missing_field | unknown_field |
                       # invalid_value | future_timestamp
  message @3 :Text;    # human-readable; names the field.
}

# The server's answer to one Batch, sent once every accepted event of it (and every duplicate's original) is
# durable under the server's durability mode.
struct Ack {
  batchSeq @0 :UInt64;   # the acknowledged batch.
  firstSeq @1 :UInt64;   # sequence of the first accepted event; 0 when none was accepted.
  lastSeq @2 :UInt64;    # sequence of the last accepted event (contiguous from firstSeq); 0 when none.
  accepted @3 :UInt32;   # number of events appended.
  duplicates @4 :List(Duplicate);
  rejected @5 :List(Rejection);
}

# Root of every client -> server message.
struct ClientMessage {
  union {
    hello @0 :Hello;
    batch @1 :Batch;
  }
}

# Root of every server -> client message.
struct ServerMessage {
  union {
    welcome @0 :Welcome;
    ack @1 :Ack;
    error @2 :Error;
  }
}

# ---------------------------------------------------------------------------------------------------------
# Storage format of the event log
# ---------------------------------------------------------------------------------------------------------
# Data directories of format 2 hold each log entry as one StoredEvent message: the bytes 0xff 0xff, then the
# message in the packed encoding (capnp::writePackedMessage); those of format 1 hold it unpacked, as a flat array
# (capnp::messageToFlatArray), without the marker. Format 3 stores new events in tally's own compact form
# (core/event_compact.h) and still reads these. Only validated events are stored, so every rule of the catalogue holds; a
# field the event's type does not carry is left unset. Text fields: null = absent.

enum EventType {
  conversationStarted @0;
  messageSent @1;
  conversationResolved @2;
  conversationEscalated @3;
  conversationAbandoned @4;
  knowledgeRetrieved @5;
  citationClicked @6;
  qualityScored @7;
  analysisScored @8;
  passCompleted @9;
  usageRecorded @10;
  contentGapStatusChanged @11;
  storeConfigured @12;
}

enum Sender {
  customer @0;
  agent @1;
  ai @2;
}

enum ResolvedBy {
  agent @0;
  ai @1;
}

enum GapStatus {
  identified @0;
  inProgress @1;
  resolved @2;
}

struct StoredEvent {
  eventId @0 :Text;
  type @1 :EventType;
  storeId @2 :Text;
  occurredAtMs @3 :Int64;  # milliseconds since 1970-01-01T00:00:00Z, after skew correction.
  properties @4 :Text;     # the properties JSON object's exact bytes; null = absent.

  conversationId @5 :Text;
  customerId @6 :Text;
  channel @7 :Text;
  customerName @8 :Text;
  sender :union { none @9 :Void; value @10 :Sender; }
  text @11 :Text;
  agentId @12 :Text;
  resolvedBy :union { none @13 :Void; value @14 :ResolvedBy; }  # none means agent (the default)
  reason @15 :Text;
  query @16 :Text;
  topic @17 :Text;
  confidence :union { none @18 :Void; value @19 :Float64; }
  url @20 :Text;

  overall :union { none @21 :Void; value @22 :Float64; }
  helpfulness :union { none @23 :Void; value @24 :Float64; }
  accuracy :union { none @25 :Void; value @26 :Float64; }
  politeness :union { none @27 :Void; value @28 :Float64; }

  analysisDate :union { none @29 :Void; value @30 :Int32; }  # days since 1970-01-01
  sentimentScore :union { none @31 :Void; value @32 :Float64; }
  sentimentShift :union { none @33 :Void; value @34 :Float64; }
  resolutionAchieved :union { none @35 :Void; value @36 :Float64; }
  fcrScore :union { none @37 :Void; value @38 :Float64; }
  ces :union { none @39 :Void; value @40 :Float64; }

  shellFileId @41 :Text;
  profileId @42 :Text;
  pass :union { none @43 :Void; value @44 :Int32; }
  success :union { none @45 :Void; value @46 :Bool; }
  model @47 :Text;
  tokens :union { none @48 :Void; value @49 :Int64; }
  costUsd :union { none @50 :Void; value @51 :Float64; }
  processingTimeMs :union { none @52 :Void; value @53 :Int64; }
  entities :union { none @54 :Void; value @55 :Int64; }
  manualReview :union { none @56 :Void; value @57 :Bool; }
  service @58 :Text;
  operation @59 :Text;

  status :union { none @60 :Void; value @61 :GapStatus; }

  timezone @62 :Text;
  gapConfidenceThreshold :union { none @63 :Void; value @64 :Float64; }
  humanCostPerHour :union { none @65 :Void; value @66 :Float64; }
  minutesPerConversation :union { none @67 :Void; value @68 :Float64; }
  aiCostPerConversation :union { none @69 :Void; value @70 :Float64; }
  csiWeights :union { none @71 :Void; value @72 :CsiWeights; }
}
