{{/*
Chart name, truncated to the DNS label limit.
*/}}
{{- define "trivia.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Fully qualified app name. The release name is used as-is when it already
contains the chart name (trivia-web, trivia-api).
*/}}
{{- define "trivia.fullname" -}}
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
Chart name and version, as used by the helm.sh/chart label.
*/}}
{{- define "trivia.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Image tag: the configured tag, else the chart's appVersion.
*/}}
{{- define "trivia.imageTag" -}}
{{- .Values.image.tag | default .Chart.AppVersion | toString }}
{{- end }}

{{/*
Selector labels (must stay stable across upgrades).
*/}}
{{- define "trivia.selectorLabels" -}}
app.kubernetes.io/name: {{ include "trivia.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
Common labels.
*/}}
{{- define "trivia.labels" -}}
helm.sh/chart: {{ include "trivia.chart" . }}
{{ include "trivia.selectorLabels" . }}
app.kubernetes.io/version: {{ include "trivia.imageTag" . | quote }}
app.kubernetes.io/part-of: fabrikam-trivia
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}
