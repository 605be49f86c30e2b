{{/*
Chart name, truncated to the 63 characters a label value allows.
*/}}
{{- define "anchorage.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Prefix for every resource name: fullnameOverride, else the release name when it already
contains the chart name, else "<release>-<chart>".
*/}}
{{- define "anchorage.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
"name-version" for the helm.sh/chart label.
*/}}
{{- define "anchorage.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels that select the controller pods. Never change these in an upgrade: a Deployment's
selector is immutable.
*/}}
{{- define "anchorage.selectorLabels" -}}
app.kubernetes.io/name: {{ include "anchorage.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: controller
{{- end }}

{{/*
Labels on every object the chart creates.
*/}}
{{- define "anchorage.labels" -}}
helm.sh/chart: {{ include "anchorage.chart" . }}
{{ include "anchorage.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | trunc 63 | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: anchorage
{{- end }}

{{/*
Name of the ServiceAccount the controller runs as.
*/}}
{{- define "anchorage.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "anchorage.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
Namespace of the leader-election Lease and its Role.
*/}}
{{- define "anchorage.leaderElectionNamespace" -}}
{{- default .Release.Namespace .Values.leaderElection.namespace }}
{{- end }}

{{/*
Namespace in which ClusterIssuers find their CA Secrets.
*/}}
{{- define "anchorage.clusterResourceNamespace" -}}
{{- default .Release.Namespace .Values.clusterResourceNamespace }}
{{- end }}

{{/*
Image reference: repository@digest when a digest is given, else repository:tag.
*/}}
{{- define "anchorage.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}
{{- end }}
