"""pochta conf (Pochta's postconf) and the parameter manual page.

Most tests need no running instance, only a configuration directory: a
main.cf written by the test and the installed master.cf. The manual page
test reads lib/conf_params.c itself, so a parameter added there without
reaching the page (or `pochta conf -d`) fails here.
"""

import os
import re
import shutil
import subprocess

import pytest

from pochta_instance import bin_dir

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.normpath(os.path.join(HERE, "..", ".."))
CONF_PARAMS_C = os.path.join(TOP, "lib", "conf_params.c")
MAN_PAGE = os.path.normpath(os.path.join(bin_dir(), "..", "man", "pochta-conf.5"))
PARAM_RE = re.compile(r'\{\s*"([A-Za-z0-9_]+)",\s*CONF_(STR|INT|TIME|BOOL),\s*(NULL|"((?:[^"\\]|\\.)*)")')

MAIN_CF = """\
# The head comment stays.
max_use = 50

# About relayhost.
relayhost = [old.example]
    :2525
  # a comment among continuation lines stays

mydestination = a.example,
   b.example
max_use = 70
# The tail comment stays.
"""


def pochta(config_dir, *args, stdin=None):
    cmd = [os.path.join(bin_dir(), "pochta"), "-c", str(config_dir)] + list(args)
    return subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=30)


def table_params():
    """{name: default or None (computed)} from lib/conf_params.c."""
    with open(CONF_PARAMS_C) as f:
        text = f.read()
    found = {}
    for m in PARAM_RE.finditer(text):
        found[m.group(1)] = None if m.group(3) == "NULL" else m.group(4).replace('\\"', '"')
    assert len(found) > 100, "conf_params.c no longer parses as expected"
    return found


def values(output):
    """{name: value} from `name = value` lines."""
    out = {}
    for line in output.splitlines():
        name, sep, value = line.partition(" =")
        assert sep, "not a name = value line: %r" % line
        out[name] = value.strip()
    return out


@pytest.fixture
def confdir(tmp_path):
    (tmp_path / "main.cf").write_text(MAIN_CF)
    shutil.copy(os.path.join(TOP, "conf", "master.cf"), tmp_path / "master.cf")
    return tmp_path


def test_set_then_n_shows_it(confdir):
    res = pochta(confdir, "conf", "relayhost=[new.example]:587", "minimal_backoff_time=10m")
    assert res.returncode == 0, res.stderr
    got = values(pochta(confdir, "conf", "-n").stdout)
    assert got["relayhost"] == "[new.example]:587"
    assert got["minimal_backoff_time"] == "10m"
    assert got["max_use"] == "70"
    assert got["mydestination"] == "a.example, b.example"
    assert pochta(confdir, "conf", "-h", "relayhost").stdout == "[new.example]:587\n"


def test_edit_keeps_comments_order_and_replaces_in_place(confdir):
    assert pochta(confdir, "conf", "relayhost=[new.example]", "max_use=5",
                  "new_param_here=1").returncode == 0
    text = (confdir / "main.cf").read_text()
    assert text == (
        "# The head comment stays.\n"
        "max_use = 5\n"
        "\n"
        "# About relayhost.\n"
        "relayhost = [new.example]\n"
        "  # a comment among continuation lines stays\n"
        "\n"
        "mydestination = a.example,\n"
        "   b.example\n"
        "# The tail comment stays.\n"
        "new_param_here = 1\n")


def test_edit_warns_about_unknown_name(confdir):
    res = pochta(confdir, "conf", "no_such_parameter=1")
    assert res.returncode == 0
    assert "no_such_parameter: unknown parameter" in res.stderr


def test_remove_with_X(confdir):
    assert pochta(confdir, "conf", "-X", "max_use", "relayhost").returncode == 0
    text = (confdir / "main.cf").read_text()
    assert not re.search(r"^(max_use|relayhost)\b", text, re.M) and ":2525" not in text
    assert "# About relayhost.\n" in text
    got = values(pochta(confdir, "conf", "max_use").stdout)
    assert got == {"max_use": "100"}


@pytest.mark.parametrize("arg", ["max_use=abc", "max_use=0", "smtpd_delay_reject=maybe",
                                 "minimal_backoff_time=5x", "bad-name=1", "=1"])
def test_bad_edit_refused_and_file_unchanged(confdir, arg):
    res = pochta(confdir, "conf", arg)
    assert res.returncode != 0
    assert res.stderr.strip()
    assert (confdir / "main.cf").read_text() == MAIN_CF


def test_value_with_newline_refused(confdir):
    res = pochta(confdir, "conf", "relayhost=a\nmax_use=1")
    assert res.returncode != 0 and "one line" in res.stderr
    assert (confdir / "main.cf").read_text() == MAIN_CF


def test_edit_replaces_file_atomically_keeping_mode(confdir):
    os.chmod(confdir / "main.cf", 0o640)
    before = os.stat(confdir / "main.cf").st_ino
    assert pochta(confdir, "conf", "max_use=3").returncode == 0
    st = os.stat(confdir / "main.cf")
    assert st.st_ino != before and st.st_mode & 0o777 == 0o640
    assert [p.name for p in confdir.iterdir() if "tmp" in p.name] == []


def test_no_args_lists_every_parameter_sorted(confdir):
    res = pochta(confdir, "conf")
    got = values(res.stdout)
    names = [line.split(" =")[0] for line in res.stdout.splitlines()]
    assert names == sorted(names)
    assert set(got) == set(table_params())
    assert got["max_use"] == "70"                       # main.cf's
    assert got["myorigin"] == "$myhostname"             # default, unexpanded


def test_x_expands(confdir):
    (confdir / "main.cf").write_text("myhostname = mx.example\nmyorigin = $myhostname\n")
    assert pochta(confdir, "conf", "myorigin").stdout == "myorigin = $myhostname\n"
    assert pochta(confdir, "conf", "-x", "myorigin").stdout == "myorigin = mx.example\n"


def test_n_lists_unknown_names_with_a_warning(confdir):
    (confdir / "main.cf").write_text("max_use = 7\nmade_up_name = x\n")
    res = pochta(confdir, "conf", "-n")
    assert values(res.stdout) == {"made_up_name": "x", "max_use": "7"}
    assert "line 2: unknown parameter name: made_up_name" in res.stderr


def test_unknown_name_asked_for(confdir):
    res = pochta(confdir, "conf", "max_use", "nonexistent_name")
    assert res.stdout == "max_use = 70\n"
    assert "nonexistent_name: unknown parameter" in res.stderr


def test_d_shows_the_table_defaults_without_main_cf(confdir):
    (confdir / "main.cf").write_text("max_use = not even a number\n")
    res = pochta(confdir, "conf", "-d")
    assert res.returncode == 0, res.stderr
    got = values(res.stdout)
    table = table_params()
    assert set(got) == set(table)
    for name, default in table.items():
        if default is not None:
            assert got[name] == default, name
    assert got["myhostname"]                            # computed, never empty


def test_d_and_n_together_is_a_usage_error(confdir):
    assert pochta(confdir, "conf", "-d", "-n").returncode == 64


def test_M_prints_services(confdir):
    res = pochta(confdir, "conf", "-M")
    assert res.returncode == 0
    lines = res.stdout.splitlines()
    assert any(re.match(r"^smtp\s+inet\s+n\s+-\s+n\s+-\s+-\s+smtpd$", l) for l in lines), lines
    assert any(re.match(r"^qmgr\s+unix\s+n\s+-\s+n\s+300\s+1\s+qmgr$", l) for l in lines), lines
    assert not any(l.startswith("#") for l in lines)
    one = pochta(confdir, "conf", "-M", "smtp/unix").stdout.splitlines()
    assert len(one) == 1 and one[0].split()[:2] == ["smtp", "unix"]
    both = pochta(confdir, "conf", "-M", "smtp").stdout.splitlines()
    assert sorted(l.split()[1] for l in both) == ["inet", "unix"]


def test_M_unknown_service(confdir):
    res = pochta(confdir, "conf", "-M", "nosuch/unix")
    assert res.returncode == 1 and "nosuch/unix: no such service" in res.stderr


def test_M_bad_master_cf_names_the_line(confdir):
    with open(confdir / "master.cf", "a") as f:
        f.write("broken    inet  n\n")
    res = pochta(confdir, "conf", "-M")
    assert res.returncode != 0
    assert re.search(r"master\.cf:\d+: too few fields", res.stderr), res.stderr


def man_entries():
    """{name: default text or None (computed)} from the generated page."""
    with open(MAN_PAGE) as f:
        text = f.read()
    lines = text[text.index(".SH PARAMETERS"):text.index(".SH FILES")].splitlines()
    out = {}
    for i, line in enumerate(lines):
        if line == ".TP" and lines[i + 1].startswith(".B "):
            name = lines[i + 1][3:]
            m = re.match(r"Default: (?:\\fB(.*)\\fR|(empty)|(computed .*))$", lines[i + 2])
            assert m, "no default line for %s: %r" % (name, lines[i + 2])
            if m.group(3):
                out[name] = None
            elif m.group(2):
                out[name] = ""
            else:
                out[name] = m.group(1).replace("\\-", "-").replace("\\e", "\\").replace("\\&", "")
    return out


def test_man_page_lists_every_parameter_with_its_default():
    table = table_params()
    page = man_entries()
    assert set(page) == set(table), (set(page) ^ set(table))
    for name, default in table.items():
        assert page[name] == default, name
