import pytest

from portside.cli.gotemplate import TemplateError, render

DATA = {
    "Id": "sha256:abc",
    "Size": 1234,
    "RepoTags": ["a:1", "b:2"],
    "Config": {"Env": ["A=1", "B=2"], "Labels": {"k": "v", "z": "<&>"}, "Cmd": None},
}


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{{.Id}}", "sha256:abc"),
        ("id={{.Id}} size={{.Size}}", "id=sha256:abc size=1234"),
        ("{{.Config.Env}}", "[A=1 B=2]"),
        ("{{.Config.Cmd}}", "<nil>"),
        ("{{json .Config.Env}}", '["A=1","B=2"]'),
        ("{{json .Config.Labels}}", '{"k":"v","z":"\\u003c\\u0026\\u003e"}'),
        ("{{.Config.Labels}}", "map[k:v z:<&>]"),
        ('{{index .Config.Labels "k"}}', "v"),
        ("{{index .RepoTags 1}}", "b:2"),
        ("{{.Config.Labels.missing}}", "<no value>"),
        ("{{range .RepoTags}}[{{.}}]{{end}}", "[a:1][b:2]"),
        ("{{range $i, $t := .RepoTags}}{{$i}}={{$t}};{{end}}", "0=a:1;1=b:2;"),
        ("{{range .Config.Cmd}}x{{else}}empty{{end}}", "empty"),
        ("{{if .Size}}big{{else}}small{{end}}", "big"),
        ("{{if .Config.Cmd}}c{{else if .Size}}s{{else}}n{{end}}", "s"),
        ("{{with .Config}}{{len .Env}}{{end}}", "2"),
        ("{{- .Id -}}  !", "sha256:abc!"),
        ("{{.RepoTags | len}}", "2"),
        ('{{join .RepoTags ", "}}', "a:1, b:2"),
        ("{{upper (index .RepoTags 0)}}", "A:1"),
        ('{{printf "%s/%d" .Id .Size}}', "sha256:abc/1234"),
        ("{{if eq .Size 1234}}yes{{end}}", "yes"),
        ("{{$.Id}}", "sha256:abc"),
    ],
)
def test_renders_like_go(template: str, expected: str) -> None:
    assert render(template, DATA) == expected


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{{.Nope}}", "can't evaluate field Nope"),
        ("{{nosuchfunc .Id}}", 'function "nosuchfunc" not defined'),
        ('{{define "x"}}{{end}}', "not supported"),
        ("{{if .Id}}unterminated", "missing {{end}}"),
        ("{{.Id", "unclosed action"),
        ("{{end}}", "unexpected {{end}}"),
    ],
)
def test_unsupported_or_wrong_templates_are_errors(template: str, message: str) -> None:
    with pytest.raises(TemplateError, match=message.replace("{", r"\{").replace("}", r"\}")):
        render(template, DATA)
