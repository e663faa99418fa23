// The cogwatch triggers' job in Node.js with the AWS SDK for JavaScript v3:
// a tiny Lambda runtime loop (the Runtime API over fetch) around one handler:
// the SNS client built at start, the disposable-domain list read into a Set,
// one EMF line printed, the user event published, the Cognito event answered
// unchanged. make bench starts it as Lambda starts a runtime and times it
// against the Go bootstrap. The SDK reads AWS_ENDPOINT_URL_SNS itself. Pre
// token generation publishes only with COGWATCH_TOKEN_EVENTS=true, as
// cogwatch's does; custom message tells email from SMS as cogwatch's does,
// but finds no country calling code (no phone-number library).
import { readFileSync } from "node:fs";
import { createHmac, randomUUID } from "node:crypto";
import { SNSClient, PublishCommand } from "@aws-sdk/client-sns";

const API = `http://${process.env.AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime`;
const TOPIC = process.env.USER_EVENTS_TOPIC_ARN || "";
const HASH_KEY = process.env.COGWATCH_HASH_KEY || "";
const TOKEN_EVENTS = process.env.COGWATCH_TOKEN_EVENTS === "true";
const BUDGET_MS = 3000;

const sns = new SNSClient({ maxAttempts: 2 });
const DISPOSABLE = new Set(
  readFileSync(process.env.COGWATCH_DOMAINS_FILE, "utf8").split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#")),
);

const TYPES = {
  PostConfirmation_ConfirmSignUp: ["cogwatch.user.confirmed", "UserConfirmed"],
  PostConfirmation_ConfirmForgotPassword: ["cogwatch.password.reset", "PasswordReset"],
  PreAuthentication_Authentication: ["cogwatch.signin.attempted", "SignInAttempted"],
  PostAuthentication_Authentication: ["cogwatch.signin.succeeded", "SignInSucceeded"],
};

let cold = true;

function disposable(domain) {
  const labels = domain.split(".");
  for (let i = 0; i < labels.length - 1; i++) {
    if (DISPOSABLE.has(labels.slice(i).join("."))) return true;
  }
  return false;
}

async function handle(ev) {
  const start = Date.now();
  const source = ev.triggerSource || "";
  const attrs = (ev.request && ev.request.userAttributes) || {};
  const email = attrs.email || "";
  const domain = email.includes("@") ? email.slice(email.lastIndexOf("@") + 1).toLowerCase() : "";
  let reason = "";
  let type, metric;
  if (source.startsWith("PreSignUp_")) {
    if (email && source !== "PreSignUp_AdminCreateUser" && disposable(domain)) reason = "disposable_domain";
    [type, metric] = reason ? ["cogwatch.signup.rejected", "SignUpRejected"] : ["cogwatch.signup.accepted", "SignUpAccepted"];
  } else if (source.startsWith("TokenGeneration_")) {
    [type, metric] = ["cogwatch.token.issued", "TokensIssued"];
  } else if (source.startsWith("CustomMessage_")) {
    [type, metric] = ["cogwatch.code.sent", "CodesSent"];
  } else {
    [type, metric] = TYPES[source];
  }
  const pool = ev.userPoolId || "";
  const client = (ev.callerContext && ev.callerContext.clientId) || "";
  const journey = metric === "TokensIssued" || metric === "CodesSent";
  const data = { schemaVersion: journey ? 2 : 1, userPoolId: pool, triggerSource: source, region: ev.region || "" };
  let extraDims = journey ? [["UserPoolId", "TriggerSource"]] : [];
  if (metric === "CodesSent") {
    const phone = attrs.phone_number || "";
    const code = (ev.request && ev.request.codeParameter) || "";
    const sms = (ev.response && ev.response.smsMessage) || "";
    data.medium = phone && code && sms.includes(code) ? "sms" : "email";
    extraDims = [["UserPoolId", "TriggerSource", "Medium"]];
  }
  if (client) data.clientId = client;
  if (attrs.sub) data.sub = attrs.sub;
  if (domain) data.emailDomain = domain;
  if (email && HASH_KEY) data.emailHash = createHmac("sha256", HASH_KEY).update(email.toLowerCase()).digest("hex");
  if (reason) data.reason = reason;
  data.latencyMs = Date.now() - start;
  const body = {
    specversion: "1.0",
    id: randomUUID(),
    source: `//cognito-idp.${data.region}.amazonaws.com/${pool}`,
    type,
    time: new Date().toISOString(),
    datacontenttype: "application/json",
    data,
  };
  if (attrs.sub) body.subject = attrs.sub;
  let failures = 0;
  const t0 = Date.now();
  if (TOPIC && (metric !== "TokensIssued" || TOKEN_EVENTS)) {
    const MessageAttributes = { type: { DataType: "String", StringValue: type }, userPoolId: { DataType: "String", StringValue: pool } };
    if (client) MessageAttributes.clientId = { DataType: "String", StringValue: client };
    try {
      await sns.send(new PublishCommand({ TopicArn: TOPIC, Message: JSON.stringify(body), MessageAttributes }), {
        abortSignal: AbortSignal.timeout(BUDGET_MS),
      });
    } catch (err) {
      failures = 1; // fail open: the user goes through
      console.log(JSON.stringify({ level: "WARN", message: "user event not published", err: err.name }));
    }
  }
  const doc = {
    _aws: {
      Timestamp: Date.now(),
      CloudWatchMetrics: [{
        Namespace: process.env.POWERTOOLS_METRICS_NAMESPACE || "Cogwatch",
        Dimensions: (client ? [["UserPoolId"], ["UserPoolId", "ClientId"]] : [["UserPoolId"]]).concat(extraDims),
        Metrics: [
          { Name: metric, Unit: "Count" },
          { Name: "ColdStarts", Unit: "Count" },
          { Name: "PublishLatency", Unit: "Milliseconds" },
          { Name: "PublishFailures", Unit: "Count" },
          { Name: "TriggerLatency", Unit: "Milliseconds" },
        ],
      }],
    },
    UserPoolId: pool,
    triggerSource: source,
    [metric]: 1,
    ColdStarts: cold ? 1 : 0,
    PublishLatency: Date.now() - t0,
    PublishFailures: failures,
    TriggerLatency: Date.now() - start,
  };
  if (client) doc.ClientId = client;
  if (journey) doc.TriggerSource = source;
  if (data.medium) doc.Medium = data.medium;
  console.log(JSON.stringify(doc));
  cold = false;
  if (reason) throw new Error("Please use a permanent email address");
  return ev;
}

for (;;) {
  const next = await fetch(`${API}/invocation/next`);
  const id = next.headers.get("lambda-runtime-aws-request-id");
  const event = await next.json();
  let path, answer;
  try {
    answer = JSON.stringify(await handle(event));
    path = `/invocation/${id}/response`;
  } catch (err) {
    answer = JSON.stringify({ errorMessage: err.message, errorType: err.name });
    path = `/invocation/${id}/error`;
  }
  await (await fetch(API + path, { method: "POST", body: answer })).arrayBuffer();
}
