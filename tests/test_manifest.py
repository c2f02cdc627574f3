"""The Slack app manifest declares exactly the slash commands the app registers, sends every
request to the one endpoint the app serves, and asks for the scopes the features use."""

import importlib
import pkgutil
from pathlib import Path

import yaml

import bot.commands
from bot.http import EVENTS_PATH

MANIFEST = Path(__file__).resolve().parent.parent / "manifest.yml"


def registered_commands() -> set[str]:
    """The ``COMMAND`` of every command module the app factory registers (modules that only
    answer buttons on the worker's messages, such as ``alerts``, have none)."""
    commands = set()
    for module_info in pkgutil.iter_modules(bot.commands.__path__):
        if not module_info.name.startswith("_"):
            module = importlib.import_module(f"bot.commands.{module_info.name}")
            if hasattr(module, "COMMAND"):
                commands.add(module.COMMAND)
    return commands


def test_manifest_declares_what_the_app_serves() -> None:
    manifest = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    declared = manifest["features"]["slash_commands"]
    assert (
        {c["command"] for c in declared}
        == registered_commands()
        == {"/deal", "/scorecard", "/digest"}
    )
    interactivity = manifest["settings"]["interactivity"]
    urls = [c["url"] for c in declared]
    urls += [interactivity["request_url"], interactivity["message_menu_options_url"]]
    assert all(url.startswith("https://") and url.endswith(EVENTS_PATH) for url in urls)
    assert interactivity["is_enabled"] is True
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert scopes == {
        "commands",
        "chat:write",
        "users:read",
        "im:write",
        "files:write",
        "channels:history",
        "groups:history",
        "im:history",
    }
