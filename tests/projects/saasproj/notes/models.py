"""Notes in workspaces, isolated by the project's own contextvar manager (no django-scopes)."""

from django.db import models

from saasproj.notes.tenancy import WorkspaceManager
from saasproj.ticketing.models import Account


class NoteManager(WorkspaceManager):
    path = "workspace"


class CommentManager(WorkspaceManager):
    path = "note__workspace"


class Workspace(models.Model):
    """The ``workspace`` tenant; belongs to an account, so it implies the organizer."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="workspaces")
    key = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=200)

    def __str__(self):
        return self.name


class Note(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="notes")
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)

    objects = NoteManager()
    all_objects = models.Manager()

    def __str__(self):
        return self.title


class Comment(models.Model):
    note = models.ForeignKey(Note, on_delete=models.CASCADE, related_name="comments")
    text = models.TextField()

    objects = CommentManager()
    all_objects = models.Manager()


class ShowBrief(models.Model):
    """A workspace's brief for a show: two CASCADE parents in different dimensions (workspace, event).

    Neither ownership path includes the other's dimensions, so the console cannot
    say whose row it is: ambiguous (treated as shared and reported).
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="briefs")
    show = models.ForeignKey("ticketing.Show", on_delete=models.CASCADE, related_name="briefs")
    text = models.TextField(blank=True)
