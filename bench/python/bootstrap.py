"""The cogwatch triggers' job the way the original stack did it in Python.

A tiny Lambda runtime loop (the Runtime API over urllib) around one handler:
boto3's SNS client built at start, the disposable-domain list read into a
Python list and scanned per lookup, one EMF line printed, the user event
published with boto3, the Cognito event answered unchanged. Pre token
generation publishes only with COGWATCH_TOKEN_EVENTS=true, as cogwatch's does;
custom message tells email from SMS as cogwatch's does, but finds no country
calling code (no phone-number library). make bench starts
it as Lambda starts a runtime and times it against the Go bootstrap.

Debian's boto3 (python3-boto3) predates AWS_ENDPOINT_URL_SNS, so the endpoint
is passed to the client explicitly when that variable is set.
"""
import datetime
import hashlib
import hmac
import json
import os
import time
import urllib.request
import uuid

import boto3
from botocore.config import Config

API = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime"
TOPIC = os.environ.get("USER_EVENTS_TOPIC_ARN", "")
HASH_KEY = os.environ.get("COGWATCH_HASH_KEY", "").encode()
TOKEN_EVENTS = os.environ.get("COGWATCH_TOKEN_EVENTS", "") == "true"
BUDGET = 3.0

sns = boto3.client(
    "sns",
    endpoint_url=os.environ.get("AWS_ENDPOINT_URL_SNS") or None,
    config=Config(connect_timeout=1, read_timeout=BUDGET, retries={"max_attempts": 2, "mode": "standard"}),
)

DISPOSABLE = []
with open(os.environ["COGWATCH_DOMAINS_FILE"], encoding="utf-8") as f:
    for line in f:
        line = line.strip()
        if line and not line.startswith("#"):
            DISPOSABLE.append(line)

TYPES = {
    "PostConfirmation_ConfirmSignUp": ("cogwatch.user.confirmed", "UserConfirmed"),
    "PostConfirmation_ConfirmForgotPassword": ("cogwatch.password.reset", "PasswordReset"),
    "PreAuthentication_Authentication": ("cogwatch.signin.attempted", "SignInAttempted"),
    "PostAuthentication_Authentication": ("cogwatch.signin.succeeded", "SignInSucceeded"),
}

cold = True


def disposable(domain):
    labels = domain.split(".")
    for i in range(len(labels) - 1):
        if ".".join(labels[i:]) in DISPOSABLE:  # a list, scanned per lookup
            return True
    return False


def handle(ev):
    global cold
    start = time.time()
    source = ev.get("triggerSource", "")
    attrs = (ev.get("request") or {}).get("userAttributes") or {}
    email = attrs.get("email", "")
    domain = email.rpartition("@")[2].lower() if "@" in email else ""
    reason = ""
    if source.startswith("PreSignUp_"):
        if email and source != "PreSignUp_AdminCreateUser" and disposable(domain):
            reason = "disposable_domain"
        typ, metric = ("cogwatch.signup.rejected", "SignUpRejected") if reason else ("cogwatch.signup.accepted", "SignUpAccepted")
    elif source.startswith("TokenGeneration_"):
        typ, metric = "cogwatch.token.issued", "TokensIssued"
    elif source.startswith("CustomMessage_"):
        typ, metric = "cogwatch.code.sent", "CodesSent"
    else:
        typ, metric = TYPES[source]
    pool = ev.get("userPoolId", "")
    client = (ev.get("callerContext") or {}).get("clientId") or ""
    journey = metric in ("TokensIssued", "CodesSent")
    data = {"schemaVersion": 2 if journey else 1, "userPoolId": pool, "triggerSource": source, "region": ev.get("region", "")}
    extra_dims = []
    if journey:
        extra_dims = [["UserPoolId", "TriggerSource"]]
    if metric == "CodesSent":
        phone = attrs.get("phone_number") or ""
        code = (ev.get("request") or {}).get("codeParameter") or ""
        sms = (ev.get("response") or {}).get("smsMessage") or ""
        data["medium"] = "sms" if phone and code and code in sms else "email"
        extra_dims = [["UserPoolId", "TriggerSource", "Medium"]]
    if client:
        data["clientId"] = client
    if attrs.get("sub"):
        data["sub"] = attrs["sub"]
    if domain:
        data["emailDomain"] = domain
    if email and HASH_KEY:
        data["emailHash"] = hmac.new(HASH_KEY, email.lower().encode(), hashlib.sha256).hexdigest()
    if reason:
        data["reason"] = reason
    data["latencyMs"] = (time.time() - start) * 1000
    body = {
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "source": "//cognito-idp." + data["region"] + ".amazonaws.com/" + pool,
        "type": typ,
        "time": datetime.datetime.now(datetime.timezone.utc).isoformat(),
        "datacontenttype": "application/json",
        "data": data,
    }
    if attrs.get("sub"):
        body["subject"] = attrs["sub"]
    failures = 0
    t0 = time.time()
    if TOPIC and (metric != "TokensIssued" or TOKEN_EVENTS):
        msg_attrs = {"type": {"DataType": "String", "StringValue": typ}, "userPoolId": {"DataType": "String", "StringValue": pool}}
        if client:
            msg_attrs["clientId"] = {"DataType": "String", "StringValue": client}
        try:
            sns.publish(TopicArn=TOPIC, Message=json.dumps(body), MessageAttributes=msg_attrs)
        except Exception as err:  # fail open: the user goes through
            failures = 1
            print(json.dumps({"level": "WARN", "message": "user event not published", "err": type(err).__name__}))
    dims = ([["UserPoolId"], ["UserPoolId", "ClientId"]] if client else [["UserPoolId"]]) + extra_dims
    doc = {
        "_aws": {
            "Timestamp": int(time.time() * 1000),
            "CloudWatchMetrics": [{
                "Namespace": os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "Cogwatch"),
                "Dimensions": dims,
                "Metrics": [
                    {"Name": metric, "Unit": "Count"},
                    {"Name": "ColdStarts", "Unit": "Count"},
                    {"Name": "PublishLatency", "Unit": "Milliseconds"},
                    {"Name": "PublishFailures", "Unit": "Count"},
                    {"Name": "TriggerLatency", "Unit": "Milliseconds"},
                ],
            }],
        },
        "UserPoolId": pool,
        "triggerSource": source,
        metric: 1,
        "ColdStarts": 1 if cold else 0,
        "PublishLatency": (time.time() - t0) * 1000,
        "PublishFailures": failures,
        "TriggerLatency": (time.time() - start) * 1000,
    }
    if client:
        doc["ClientId"] = client
    if journey:
        doc["TriggerSource"] = source
    if "medium" in data:
        doc["Medium"] = data["medium"]
    print(json.dumps(doc), flush=True)
    cold = False
    if reason:
        raise ValueError("Please use a permanent email address")
    return ev


def post(path, body):
    req = urllib.request.Request(API + path, data=body, method="POST", headers={"Content-Type": "application/json"})
    urllib.request.urlopen(req).read()


while True:
    with urllib.request.urlopen(API + "/invocation/next") as resp:
        request_id = resp.headers["Lambda-Runtime-Aws-Request-Id"]
        event = json.loads(resp.read())
    try:
        answer = handle(event)
    except Exception as err:
        post("/invocation/" + request_id + "/error", json.dumps({"errorMessage": str(err), "errorType": type(err).__name__}).encode())
        continue
    post("/invocation/" + request_id + "/response", json.dumps(answer).encode())
