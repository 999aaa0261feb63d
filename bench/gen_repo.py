#!/usr/bin/env python3
"""Generate, deterministically, a git repository for benchmarking `accord diff`.

BASE: SERVICES services under teams/<team>/<service>.yaml, each file holding a Deployment, a
Service, a ConfigMap, a ServiceAccount and a PodDisruptionBudget (5 objects per file; the
default 1,000 services give 5,000 objects). HEAD: a change touching CHANGED files (default 10):
image bumps, replica changes, a new env var, one `hostNetwork: true`, one container reorder.

Usage: gen_repo.py DIR [SERVICES] [CHANGED]
"""

import os
import subprocess
import sys

ENV = {**os.environ, "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@example.invalid",
       "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@example.invalid",
       "GIT_AUTHOR_DATE": "2025-01-01T00:00:00Z", "GIT_COMMITTER_DATE": "2025-01-01T00:00:00Z",
       "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null"}


def service(i, version=1, replicas=3, extra_env=False, host_network=False, swap=False):
    team = f"team-{i % 25:02d}"
    name = f"svc-{i:04d}"
    env = "\n".join(f"            - name: VAR_{k}\n              value: \"{i * k}\"" for k in range(4))
    if extra_env:
        env += "\n            - name: FEATURE_FLAG\n              value: \"on\""
    app = f"""        - name: app
          image: registry.example.com/{team}/{name}:1.{version}.0
          ports:
            - containerPort: 8080
              name: http
          env:
{env}
          resources:
            requests: {{cpu: 100m, memory: 128Mi}}
            limits: {{memory: 256Mi}}
          securityContext:
            runAsNonRoot: true
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true"""
    sidecar = """        - name: proxy
          image: registry.example.com/platform/proxy:2.4.1
          resources:
            limits: {memory: 64Mi}
          securityContext:
            runAsNonRoot: true"""
    containers = f"{sidecar}\n{app}" if swap else f"{app}\n{sidecar}"
    # Every 7th service keeps a legacy `latest` init image: pre-existing findings.
    init = ""
    if i % 7 == 0:
        init = """      initContainers:
        - name: migrate
          image: registry.example.com/tools/migrate:latest
          resources:
            limits: {memory: 64Mi}
          securityContext:
            runAsNonRoot: true
"""
    hn = "      hostNetwork: true\n" if host_network else ""
    return f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  namespace: {team}
  labels: {{app: {name}, team: {team}}}
spec:
  replicas: {replicas}
  selector:
    matchLabels: {{app: {name}}}
  template:
    metadata:
      labels: {{app: {name}, team: {team}}}
    spec:
      serviceAccountName: {name}
{hn}{init}      containers:
{containers}
---
apiVersion: v1
kind: Service
metadata:
  name: {name}
  namespace: {team}
spec:
  selector: {{app: {name}}}
  ports:
    - port: 80
      targetPort: http
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {name}-config
  namespace: {team}
data:
  LOG_LEVEL: info
  TIMEOUT: "{30 + i % 10}s"
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {name}
  namespace: {team}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {name}
  namespace: {team}
spec:
  minAvailable: 1
  selector:
    matchLabels: {{app: {name}}}
"""


def path(i):
    return f"teams/team-{i % 25:02d}/svc-{i:04d}.yaml"


def write(root, i, text):
    p = os.path.join(root, path(i))
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "w") as f:
        f.write(text)


def git(root, *args):
    return subprocess.run(["git", *args], cwd=root, env=ENV, check=True, capture_output=True).stdout.decode().strip()


def main():
    root = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    changed = int(sys.argv[3]) if len(sys.argv) > 3 else 10
    os.makedirs(root, exist_ok=True)
    git(root, "init", "-q", "-b", "main")
    for i in range(n):
        write(root, i, service(i))
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "base")
    step = max(1, n // changed)
    for k, i in enumerate(range(0, step * changed, step)):
        kind = k % 5
        write(root, i, service(i, version=2 if kind in (0, 4) else 1, replicas=1 if kind == 1 else 3,
                             extra_env=kind == 2, host_network=kind == 3, swap=kind == 4))
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "head: change %d files" % changed)
    print(git(root, "rev-parse", "HEAD~1"), git(root, "rev-parse", "HEAD"))


if __name__ == "__main__":
    main()
