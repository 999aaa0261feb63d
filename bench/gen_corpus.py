#!/usr/bin/env python3
"""Generate a synthetic, deterministic GitOps repository of Kubernetes manifests.

Usage:
    gen_corpus.py OUT --objects N [--seed S] [--git] [--changes 10]

The repository looks like one a platform team keeps in git:

    namespaces/<ns>.yaml              Namespace + ResourceQuota + LimitRange (multi-document)
    apps/<ns>/<app>/<kind>.yaml       one file per object kind, or
    apps/<ns>/<app>/manifests.yaml    one multi-document file per app
    cluster/rbac/<team>.yaml          ClusterRoles and ClusterRoleBindings (multi-document)
    crds/<plural>.<group>.yaml        CustomResourceDefinitions with large openAPIV3Schema
    platform/<ns>/<kind>-<n>.yaml     custom resources of those CRDs

Objects: Deployments, StatefulSets, DaemonSets, CronJobs, Services, Ingresses, ConfigMaps,
Secrets, ServiceAccounts, Roles, RoleBindings, ClusterRoles, ClusterRoleBindings,
NetworkPolicies, HorizontalPodAutoscalers, PodDisruptionBudgets, Namespaces, ResourceQuotas,
LimitRanges, CRDs and custom resources. About a quarter of the workloads break a common ops
rule (no memory limit, `:latest` image, privileged, host network, running as root) so linters
have findings to report.

Exactly N objects are written; the output depends only on N and the seed (same bytes on every
machine and Python 3 version: only `random.Random` with an integer seed is used).

With --git the directory becomes a git repository with two commits: the corpus, then a change
to --changes files (image bumps, replica counts, a new env var, a new label), so `HEAD~1..HEAD`
is a realistic pull request for `accord diff`.
"""

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys

# ---------------------------------------------------------------------------------------------
# A small YAML emitter (block style, the way people write manifests).

_PLAIN_OK = re.compile(r"^[A-Za-z_/][A-Za-z0-9_./:@-]*$")
_RESERVED = {
    "", "~", "null", "Null", "NULL", "true", "True", "TRUE", "false", "False", "FALSE",
    "yes", "Yes", "YES", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF", "y", "Y", "n", "N",
}


def scalar(v):
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, (int, float)):
        return str(v)
    s = str(v)
    if s in _RESERVED or not _PLAIN_OK.match(s) or s.endswith(":"):
        return json.dumps(s)
    return s


def emit(v, indent=0, out=None):
    """Emit `v` (dict/list/scalar) as block YAML lines appended to `out`."""
    if out is None:
        out = []
    pad = " " * indent
    if isinstance(v, dict):
        if not v:
            out.append(pad + "{}")
            return out
        for k, x in v.items():
            key = scalar(k)
            if isinstance(x, dict) and x:
                out.append(f"{pad}{key}:")
                emit(x, indent + 2, out)
            elif isinstance(x, list) and x:
                out.append(f"{pad}{key}:")
                emit(x, indent, out)
            elif isinstance(x, str) and "\n" in x:
                out.append(f"{pad}{key}: |")
                for line in x.rstrip("\n").split("\n"):
                    out.append(f"{pad}  {line}" if line else "")
            elif isinstance(x, dict):
                out.append(f"{pad}{key}: {{}}")
            elif isinstance(x, list):
                out.append(f"{pad}{key}: []")
            else:
                out.append(f"{pad}{key}: {scalar(x)}")
    elif isinstance(v, list):
        for x in v:
            if isinstance(x, (dict, list)) and x:
                sub = emit(x, indent + 2, [])
                out.append(f"{pad}- {sub[0].lstrip()}")
                out.extend(sub[1:])
            else:
                out.append(f"{pad}- {scalar(x) if not isinstance(x, (dict, list)) else ('{}' if isinstance(x, dict) else '[]')}")
    else:
        out.append(pad + scalar(v))
    return out


def dump_docs(docs, header=None):
    parts = []
    if header:
        parts.append(f"# {header}\n")
    for i, d in enumerate(docs):
        if i > 0 or header:
            parts.append("---\n")
        parts.append("\n".join(emit(d)) + "\n")
    return "".join(parts)


# ---------------------------------------------------------------------------------------------
# Vocabulary.

TEAMS = ["payments", "search", "identity", "checkout", "catalog", "shipping", "data", "ml",
         "observability", "platform", "growth", "messaging", "billing", "fraud", "media"]
WORDS = ["api", "worker", "gateway", "frontend", "backend", "cache", "indexer", "scheduler",
         "ingest", "export", "auth", "notifier", "reporter", "proxy", "sync", "router", "store",
         "feed", "ledger", "audit", "thumbnailer", "recommender", "tracker", "webhook"]
REGISTRIES = ["ghcr.io/acme", "registry.example.com/team", "docker.io/library", "quay.io/acme",
              "123456789012.dkr.ecr.eu-west-1.amazonaws.com"]
ENVS = ["LOG_LEVEL", "PORT", "DATABASE_URL", "REDIS_HOST", "OTEL_EXPORTER_OTLP_ENDPOINT",
        "FEATURE_FLAGS", "REGION", "CACHE_TTL", "WORKERS", "TIMEOUT_SECONDS", "JAVA_OPTS",
        "GOMAXPROCS", "KAFKA_BROKERS", "S3_BUCKET", "SENTRY_DSN", "MAX_CONNECTIONS"]

CRD_KINDS = [
    ("monitoring.acme.io", "ServiceMonitor", "servicemonitors"),
    ("certs.acme.io", "Certificate", "certificates"),
    ("rollouts.acme.io", "Rollout", "rollouts"),
    ("db.acme.io", "PostgresCluster", "postgresclusters"),
    ("messaging.acme.io", "KafkaTopic", "kafkatopics"),
    ("pipelines.acme.io", "Pipeline", "pipelines"),
    ("secrets.acme.io", "ExternalSecret", "externalsecrets"),
    ("gateway.acme.io", "HTTPRoute", "httproutes"),
]


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def pick(self, xs):
        return xs[self.r.randrange(len(xs))]

    def chance(self, p):
        return self.r.random() < p

    def word(self):
        return self.pick(WORDS)

    def labels(self, app, team, extra=True):
        l = {"app.kubernetes.io/name": app, "app.kubernetes.io/part-of": team,
             "app.kubernetes.io/managed-by": "argocd"}
        if extra and self.chance(0.5):
            l["app.kubernetes.io/version"] = f"{self.r.randint(1, 9)}.{self.r.randint(0, 40)}.{self.r.randint(0, 9)}"
        if extra and self.chance(0.3):
            l["cost-center"] = f"cc-{self.r.randint(1000, 9999)}"
        return l

    def meta(self, name, ns, app, team, annotations=False):
        m = {"name": name}
        if ns:
            m["namespace"] = ns
        m["labels"] = self.labels(app, team)
        if annotations and self.chance(0.4):
            m["annotations"] = {"owner": f"{team}@acme.io",
                                "description": f"{app} {self.word()} component of the {team} team"}
        return m

    # --- workloads -------------------------------------------------------------------------

    def container(self, app, bad):
        c = {"name": app if self.chance(0.7) else f"{app}-{self.word()}"}
        reg = self.pick(REGISTRIES)
        if "latest" in bad:
            c["image"] = f"{reg}/{app}:latest" if self.chance(0.7) else f"{reg}/{app}"
        else:
            c["image"] = f"{reg}/{app}:{self.r.randint(1, 5)}.{self.r.randint(0, 30)}.{self.r.randint(0, 20)}"
        c["imagePullPolicy"] = self.pick(["IfNotPresent", "IfNotPresent", "Always"])
        if self.chance(0.3):
            c["args"] = [f"--{self.word()}={self.r.randint(1, 100)}" for _ in range(self.r.randint(1, 4))]
        port = self.pick([8080, 8443, 9090, 3000, 5000, 80])
        c["ports"] = [{"name": "http", "containerPort": port, "protocol": "TCP"}]
        if self.chance(0.4):
            c["ports"].append({"name": "metrics", "containerPort": 9102, "protocol": "TCP"})
        env = []
        for e in self.r.sample(ENVS, self.r.randint(2, 10)):
            if self.chance(0.2):
                env.append({"name": e, "valueFrom": {"secretKeyRef": {"name": f"{app}-secrets", "key": e.lower()}}})
            else:
                env.append({"name": e, "value": str(self.r.randint(1, 5000)) if self.chance(0.4) else f"{self.word()}-{self.r.randint(1, 99)}"})
        c["env"] = env
        if self.chance(0.3):
            c["envFrom"] = [{"configMapRef": {"name": f"{app}-config"}}]
        res = {"requests": {"cpu": f"{self.pick([50, 100, 250, 500])}m", "memory": f"{self.pick([64, 128, 256, 512])}Mi"}}
        if "memory" not in bad:
            res["limits"] = {"memory": f"{self.pick([256, 512, 1024, 2048])}Mi"}
            if self.chance(0.5):
                res["limits"]["cpu"] = f"{self.pick([1, 2])}"
        c["resources"] = res
        if self.chance(0.8):
            c["readinessProbe"] = {"httpGet": {"path": "/ready", "port": "http"}, "initialDelaySeconds": 5, "periodSeconds": 10}
            c["livenessProbe"] = {"httpGet": {"path": "/healthz", "port": "http"}, "failureThreshold": 3}
        sc = {}
        if "privileged" in bad:
            sc["privileged"] = True
        else:
            sc["allowPrivilegeEscalation"] = False
            sc["capabilities"] = {"drop": ["ALL"]}
        if "root" in bad:
            sc["runAsUser"] = 0
        else:
            sc["runAsNonRoot"] = True
            sc["readOnlyRootFilesystem"] = self.chance(0.7)
        c["securityContext"] = sc
        c["volumeMounts"] = [{"name": "config", "mountPath": "/etc/app", "readOnly": True}]
        if self.chance(0.4):
            c["volumeMounts"].append({"name": "tmp", "mountPath": "/tmp"})
        return c

    def pod_spec(self, app, bad, sa):
        spec = {}
        if sa:
            spec["serviceAccountName"] = app
        if "hostnet" in bad:
            spec["hostNetwork"] = True
        spec["containers"] = [self.container(app, bad)]
        if self.chance(0.2):
            spec["containers"].append(self.container(app, set()))
        if self.chance(0.15):
            ic = self.container(app, set())
            ic["name"] = "init-" + ic["name"]
            ic.pop("readinessProbe", None)
            ic.pop("livenessProbe", None)
            spec["initContainers"] = [ic]
        spec["securityContext"] = {"fsGroup": 2000, "seccompProfile": {"type": "RuntimeDefault"}}
        if self.chance(0.3):
            spec["affinity"] = {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
                {"weight": 100, "podAffinityTerm": {"labelSelector": {"matchLabels": {"app.kubernetes.io/name": app}},
                                                    "topologyKey": "kubernetes.io/hostname"}}]}}
        if self.chance(0.2):
            spec["tolerations"] = [{"key": "dedicated", "operator": "Equal", "value": "batch", "effect": "NoSchedule"}]
        spec["volumes"] = [{"name": "config", "configMap": {"name": f"{app}-config"}}]
        if self.chance(0.4):
            spec["volumes"].append({"name": "tmp", "emptyDir": {"sizeLimit": "1Gi"}})
        return spec

    def violations(self):
        bad = set()
        if self.chance(0.25):
            bad.add(self.pick(["memory", "latest", "privileged", "hostnet", "root", "memory", "latest"]))
            if self.chance(0.3):
                bad.add(self.pick(["memory", "latest", "root"]))
        return bad

    def workload(self, kind, app, ns, team, sa):
        bad = self.violations()
        sel = {"matchLabels": {"app.kubernetes.io/name": app}}
        tmpl = {"metadata": {"labels": self.labels(app, team, extra=False)}, "spec": self.pod_spec(app, bad, sa)}
        if self.chance(0.3):
            tmpl["metadata"]["annotations"] = {"prometheus.io/scrape": "true", "prometheus.io/port": "9102"}
        obj = {"apiVersion": "apps/v1", "kind": kind, "metadata": self.meta(app, ns, app, team, True)}
        if kind == "Deployment":
            obj["spec"] = {"replicas": self.r.randint(1, 6), "revisionHistoryLimit": 5, "selector": sel,
                           "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 0}},
                           "template": tmpl}
        elif kind == "StatefulSet":
            obj["spec"] = {"replicas": self.r.randint(1, 5), "serviceName": app, "selector": sel, "template": tmpl,
                           "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {
                               "accessModes": ["ReadWriteOnce"], "storageClassName": "gp3",
                               "resources": {"requests": {"storage": f"{self.pick([10, 20, 50, 100])}Gi"}}}}]}
        elif kind == "DaemonSet":
            obj["spec"] = {"selector": sel, "updateStrategy": {"type": "RollingUpdate"}, "template": tmpl}
        elif kind == "CronJob":
            obj["apiVersion"] = "batch/v1"
            tmpl["spec"]["restartPolicy"] = "OnFailure"
            obj["spec"] = {"schedule": f"{self.r.randint(0, 59)} {self.r.randint(0, 23)} * * *",
                           "concurrencyPolicy": "Forbid", "successfulJobsHistoryLimit": 3,
                           "jobTemplate": {"spec": {"backoffLimit": 2, "template": tmpl}}}
        return obj

    # --- the rest of an app ---------------------------------------------------------------

    def service(self, app, ns, team):
        return {"apiVersion": "v1", "kind": "Service", "metadata": self.meta(app, ns, app, team),
                "spec": {"type": self.pick(["ClusterIP", "ClusterIP", "ClusterIP", "LoadBalancer"]),
                         "selector": {"app.kubernetes.io/name": app},
                         "ports": [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}]}}

    def ingress(self, app, ns, team):
        host = f"{app}.{team}.acme.io"
        return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
                "metadata": {**self.meta(app, ns, app, team), "annotations": {
                    "cert-manager.io/cluster-issuer": "letsencrypt", "nginx.ingress.kubernetes.io/proxy-body-size": "8m"}},
                "spec": {"ingressClassName": "nginx", "tls": [{"hosts": [host], "secretName": f"{app}-tls"}],
                         "rules": [{"host": host, "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": {
                             "service": {"name": app, "port": {"name": "http"}}}}]}}]}}

    def configmap(self, app, ns, team):
        data = {}
        for _ in range(self.r.randint(2, 8)):
            data[f"{self.word()}.{self.pick(['url', 'size', 'mode', 'ttl', 'enabled'])}"] = f"{self.word()}-{self.r.randint(0, 999)}"
        if self.chance(0.4):
            lines = [f"{self.word()}:" + "\n" + f"  {self.word()}: {self.r.randint(1, 100)}" for _ in range(self.r.randint(3, 15))]
            data["config.yaml"] = "\n".join(lines) + "\n"
        return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": self.meta(f"{app}-config", ns, app, team), "data": data}

    def secret(self, app, ns, team):
        data = {k.lower(): "".join(self.pick("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") for _ in range(24)) + "=="
                for k in self.r.sample(ENVS, 3)}
        return {"apiVersion": "v1", "kind": "Secret", "metadata": self.meta(f"{app}-secrets", ns, app, team),
                "type": "Opaque", "data": data}

    def hpa(self, app, ns, team, kind):
        return {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": self.meta(app, ns, app, team),
                "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": kind, "name": app},
                         "minReplicas": 2, "maxReplicas": self.r.randint(4, 30),
                         "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {
                             "type": "Utilization", "averageUtilization": self.pick([60, 70, 80])}}}]}}

    def pdb(self, app, ns, team):
        spec = {"selector": {"matchLabels": {"app.kubernetes.io/name": app}}}
        if self.chance(0.5):
            spec["minAvailable"] = 1
        else:
            spec["maxUnavailable"] = "25%"
        return {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": self.meta(app, ns, app, team), "spec": spec}

    def netpol(self, app, ns, team):
        return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": self.meta(f"{app}-ingress", ns, app, team),
                "spec": {"podSelector": {"matchLabels": {"app.kubernetes.io/name": app}}, "policyTypes": ["Ingress"],
                         "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}},
                                               {"podSelector": {"matchLabels": {"app.kubernetes.io/part-of": team}}}],
                                      "ports": [{"protocol": "TCP", "port": 8080}]}]}}

    def rbac(self, app, ns, team):
        sa = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": self.meta(app, ns, app, team)}
        role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": self.meta(app, ns, app, team),
                "rules": [{"apiGroups": [""], "resources": self.r.sample(["configmaps", "secrets", "pods", "services", "endpoints"], 2),
                           "verbs": ["get", "list", "watch"]}]}
        if self.chance(0.2):
            role["rules"].append({"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]})
        rb = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": self.meta(app, ns, app, team),
              "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": app},
              "subjects": [{"kind": "ServiceAccount", "name": app, "namespace": ns}]}
        return [sa, role, rb]

    def custom_resource(self, crd, name, ns, team):
        group, kind, _ = crd
        spec = {}
        if kind == "ServiceMonitor":
            spec = {"selector": {"matchLabels": {"app.kubernetes.io/name": name}},
                    "endpoints": [{"port": "metrics", "interval": "30s", "path": "/metrics"}]}
        elif kind == "Certificate":
            spec = {"secretName": f"{name}-tls", "dnsNames": [f"{name}.{team}.acme.io"],
                    "issuerRef": {"name": "letsencrypt", "kind": "ClusterIssuer"}}
        elif kind == "Rollout":
            spec = {"replicas": self.r.randint(2, 8), "strategy": {"canary": {"steps": [
                {"setWeight": 20}, {"pause": {"duration": "5m"}}, {"setWeight": 50}, {"pause": {}}]}},
                "selector": {"matchLabels": {"app.kubernetes.io/name": name}},
                "template": {"metadata": {"labels": {"app.kubernetes.io/name": name}},
                             "spec": self.pod_spec(name, self.violations(), False)}}
        elif kind == "PostgresCluster":
            spec = {"postgresVersion": self.pick([14, 15, 16]), "instances": [{"name": "pg", "replicas": 2,
                    "dataVolumeClaimSpec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "50Gi"}}}}],
                    "backups": {"pgbackrest": {"repos": [{"name": "repo1", "schedules": {"full": "0 1 * * 0"}}]}}}
        elif kind == "KafkaTopic":
            spec = {"partitions": self.pick([3, 6, 12, 24]), "replicas": 3,
                    "config": {"retention.ms": 604800000, "segment.bytes": 1073741824}}
        elif kind == "Pipeline":
            spec = {"params": [{"name": "revision", "type": "string"}],
                    "tasks": [{"name": f"step-{i}", "taskRef": {"name": self.word()}, "runAfter": [f"step-{i - 1}"] if i else []}
                              for i in range(self.r.randint(2, 6))]}
        elif kind == "ExternalSecret":
            spec = {"refreshInterval": "1h", "secretStoreRef": {"name": "vault", "kind": "ClusterSecretStore"},
                    "target": {"name": f"{name}-secrets"},
                    "data": [{"secretKey": e.lower(), "remoteRef": {"key": f"{team}/{name}", "property": e.lower()}}
                             for e in self.r.sample(ENVS, 3)]}
        elif kind == "HTTPRoute":
            spec = {"parentRefs": [{"name": "public", "namespace": "gateway"}], "hostnames": [f"{name}.acme.io"],
                    "rules": [{"matches": [{"path": {"type": "PathPrefix", "value": "/"}}],
                               "backendRefs": [{"name": name, "port": 80}]}]}
        return {"apiVersion": f"{group}/v1", "kind": kind, "metadata": self.meta(name, ns, name, team), "spec": spec}

    # --- CRDs with large schemas ----------------------------------------------------------

    def schema_props(self, depth, width):
        props = {}
        for i in range(width):
            name = f"{self.word()}{self.pick(['Spec', 'Config', 'Policy', 'Ref', 'Status', 'Template', 'Options', 'Settings'])}{i}"
            desc = (f"{name} configures the {self.word()} of the {self.word()}. "
                    f"When unset, the {self.word()} controller uses its default, which may change between releases. "
                    f"See the {self.word()} documentation for the accepted values and their effect on {self.word()} behaviour.")
            if depth > 0 and self.chance(0.45):
                p = {"description": desc, "type": "object", "properties": self.schema_props(depth - 1, max(2, width // 2))}
                if self.chance(0.3):
                    p["required"] = sorted(p["properties"])[:1]
            elif depth > 0 and self.chance(0.2):
                p = {"description": desc, "type": "array", "items": {"type": "object",
                     "properties": self.schema_props(depth - 1, max(2, width // 3))}}
            else:
                t = self.pick(["string", "string", "integer", "boolean"])
                p = {"description": desc, "type": t}
                if t == "string" and self.chance(0.2):
                    p["enum"] = [self.word() for _ in range(3)]
                if t == "integer":
                    p["format"] = "int32"
                    p["minimum"] = 0
            props[name] = p
        return props

    def crd(self, crd, size):
        group, kind, plural = crd
        width = {"small": 6, "medium": 10, "large": 16}[size]
        depth = {"small": 3, "medium": 4, "large": 5}[size]
        spec_schema = {"type": "object", "properties": self.schema_props(depth, width)}
        return {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
                "metadata": {"name": f"{plural}.{group}", "annotations": {"controller-gen.kubebuilder.io/version": "v0.14.0"}},
                "spec": {"group": group, "names": {"kind": kind, "listKind": f"{kind}List", "plural": plural,
                                                   "singular": kind.lower()},
                         "scope": "Namespaced",
                         "versions": [{"name": "v1", "served": True, "storage": True, "subresources": {"status": {}},
                                       "schema": {"openAPIV3Schema": {
                                           "description": f"{kind} is the Schema for the {plural} API.",
                                           "type": "object",
                                           "properties": {"apiVersion": {"type": "string"}, "kind": {"type": "string"},
                                                          "metadata": {"type": "object"}, "spec": spec_schema,
                                                          "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}}}}}]}}


def generate(out, n, seed):
    """Write exactly `n` objects under `out`; returns (files, objects, bytes)."""
    g = Gen(seed)
    files = {}  # relative path -> list of docs

    count = 0

    def room():
        return n - count

    def add(path, docs):
        nonlocal count
        docs = docs[: room()]
        if docs:
            files.setdefault(path, []).extend(docs)
            count += len(docs)

    # CRDs: ~1 per 400 objects (at least 2), capped at the kinds we know, sizes mixed.
    # Past the eight known kinds, more API groups of the same kinds (as with operators vendored
    # per team), capped at 40 CRDs.
    n_crds = max(2, min(40, n // 400 + 1)) if n >= 20 else 0
    crds = []
    for i in range(n_crds):
        group, kind, plural = CRD_KINDS[i % len(CRD_KINDS)]
        if i >= len(CRD_KINDS):
            head, rest = group.split(".", 1)
            group = f"{head}{i // len(CRD_KINDS)}.{rest}"
        crds.append((group, kind, plural))
    for i, c in enumerate(crds):
        size = ["large", "medium", "small", "large", "medium", "small", "medium", "large"][i % 8]
        add(f"crds/{c[2]}.{c[0]}.yaml", [g.crd(c, size)])

    # Cluster RBAC, one multi-doc file per team.
    for team in TEAMS[: max(1, min(len(TEAMS), n // 300))]:
        docs = []
        for w in g.r.sample(WORDS, 3):
            name = f"{team}-{w}"
            docs.append({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                         "metadata": {"name": name, "labels": g.labels(name, team)},
                         "rules": [{"apiGroups": ["", "apps"], "resources": ["deployments", "pods", "services"],
                                    "verbs": ["get", "list", "watch"] + (["*"] if g.chance(0.2) else [])}]})
            docs.append({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
                         "metadata": {"name": name},
                         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": name},
                         "subjects": [{"kind": "Group", "name": f"{team}-oncall", "apiGroup": "rbac.authorization.k8s.io"}]})
        add(f"cluster/rbac/{team}.yaml", docs)

    ns_index = 0
    app_index = 0
    while room() > 0:
        team = TEAMS[ns_index % len(TEAMS)]
        env = ["prod", "staging", "dev"][(ns_index // len(TEAMS)) % 3]
        ns = f"{team}-{env}" if ns_index < 3 * len(TEAMS) else f"{team}-{env}-{ns_index // (3 * len(TEAMS))}"
        ns_index += 1
        add(f"namespaces/{ns}.yaml", [
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns, "labels": {"team": team, "env": env}}},
            {"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "quota", "namespace": ns},
             "spec": {"hard": {"requests.cpu": "40", "requests.memory": "80Gi", "limits.memory": "160Gi", "pods": "200"}}},
            {"apiVersion": "v1", "kind": "LimitRange", "metadata": {"name": "defaults", "namespace": ns},
             "spec": {"limits": [{"type": "Container", "default": {"memory": "512Mi"}, "defaultRequest": {"cpu": "100m", "memory": "128Mi"}}]}},
        ])
        for _ in range(g.r.randint(4, 12)):
            if room() <= 0:
                break
            app = f"{g.word()}-{app_index}"
            app_index += 1
            kind = g.pick(["Deployment"] * 12 + ["StatefulSet"] * 3 + ["DaemonSet"] * 1 + ["CronJob"] * 2)
            sa = g.chance(0.5)
            objs = []  # (file stem, doc)
            objs.append((kind.lower(), g.workload(kind, app, ns, team, sa)))
            if kind != "CronJob":
                objs.append(("service", g.service(app, ns, team)))
            objs.append(("configmap", g.configmap(app, ns, team)))
            if g.chance(0.3):
                objs.append(("secret", g.secret(app, ns, team)))
            if kind == "Deployment" and g.chance(0.35):
                objs.append(("ingress", g.ingress(app, ns, team)))
            if kind in ("Deployment", "StatefulSet") and g.chance(0.35):
                objs.append(("hpa", g.hpa(app, ns, team, kind)))
            if kind in ("Deployment", "StatefulSet") and g.chance(0.45):
                objs.append(("pdb", g.pdb(app, ns, team)))
            if g.chance(0.4):
                objs.append(("networkpolicy", g.netpol(app, ns, team)))
            if sa:
                objs.extend(("rbac", d) for d in g.rbac(app, ns, team))
            if crds and g.chance(0.25):
                objs.append(("custom", g.custom_resource(g.pick(crds), app, ns, team)))
            base = f"apps/{ns}/{app}"
            if g.chance(0.4):
                add(f"{base}/manifests.yaml", [d for _, d in objs])
            else:
                for stem, d in objs:
                    ext = "yml" if g.chance(0.05) else "yaml"
                    add(f"{base}/{stem}.{ext}", [d])
        # Platform custom resources per namespace.
        if crds and g.chance(0.5):
            c = g.pick(crds)
            add(f"platform/{ns}/{c[1].lower()}-{ns_index}.yaml",
                [g.custom_resource(c, f"{g.word()}-{ns_index}-{i}", ns, team) for i in range(g.r.randint(1, 4))])

    if os.path.exists(out):
        shutil.rmtree(out)
    total = 0
    for path in sorted(files):
        text = dump_docs(files[path], header=None if not path.startswith("crds/") else "Generated by controller-gen. DO NOT EDIT.")
        full = os.path.join(out, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        total += len(text.encode())
    return len(files), count, total


def change(out, k, seed):
    """Edit `k` files the way a pull request does; returns the changed paths."""
    r = random.Random(seed + 1)
    cands = []
    for root, _, names in os.walk(out):
        if ".git" in root:
            continue
        for name in names:
            p = os.path.relpath(os.path.join(root, name), out)
            if p.startswith("apps/") and (name.startswith(("deployment", "statefulset", "manifests"))):
                cands.append(p)
    cands.sort()
    picked = sorted(r.sample(cands, min(k, len(cands))))
    edits = [
        lambda t, i: re.sub(r"(image: [^\s:]+:)(\d+)\.(\d+)\.(\d+)", lambda m: f"{m.group(1)}{m.group(2)}.{int(m.group(3)) + 1}.0", t, count=1),
        lambda t, i: re.sub(r"replicas: (\d+)", lambda m: f"replicas: {int(m.group(1)) + 2}", t, count=1),
        lambda t, i: re.sub(r"(\n(\s+)env:\n)", lambda m: f"{m.group(1)}{m.group(2)}- name: NEW_FEATURE\n{m.group(2)}  value: \"on\"\n", t, count=1),
        lambda t, i: re.sub(r"(\n(\s+)app.kubernetes.io/managed-by: argocd\n)", lambda m: f"{m.group(1)}{m.group(2)}release: r{i}\n", t, count=1),
    ]
    for i, p in enumerate(picked):
        full = os.path.join(out, p)
        with open(full, encoding="utf-8") as f:
            text = f.read()
        for j in range(len(edits)):  # the i-th kind of edit, or the next one that applies
            new = edits[(i + j) % len(edits)](text, i)
            if new != text:
                break
        with open(full, "w", encoding="utf-8", newline="\n") as f:
            f.write(new)
    return picked


def git(out, *args):
    env = dict(os.environ, GIT_AUTHOR_NAME="bench", GIT_AUTHOR_EMAIL="bench@example.com",
               GIT_COMMITTER_NAME="bench", GIT_COMMITTER_EMAIL="bench@example.com",
               GIT_AUTHOR_DATE="2026-01-01T00:00:00Z", GIT_COMMITTER_DATE="2026-01-01T00:00:00Z")
    subprocess.run(["git", "-C", out, *args], check=True, env=env, stdout=subprocess.DEVNULL)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out")
    ap.add_argument("--objects", type=int, required=True)
    ap.add_argument("--seed", type=int, default=20260101)
    ap.add_argument("--git", action="store_true", help="make a git repo with a second commit changing --changes files")
    ap.add_argument("--changes", type=int, default=10)
    a = ap.parse_args()
    if a.objects < 1:
        ap.error("--objects must be positive")
    files, objects, size = generate(a.out, a.objects, a.seed)
    msg = f"{a.out}: {objects} objects in {files} files, {size} bytes"
    if a.git:
        git(a.out, "init", "-q", "-b", "main")
        git(a.out, "add", "-A")
        git(a.out, "commit", "-q", "-m", "corpus")
        changed = change(a.out, a.changes, a.seed)
        git(a.out, "commit", "-q", "-am", f"change {len(changed)} files")
        msg += f"; git: HEAD~1..HEAD changes {len(changed)} files"
    print(msg)


if __name__ == "__main__":
    sys.exit(main())
