// The CSV import cards (tenant_apps/catalog/templates/catalog/imports.html): upload, poll the progress, list errors.
document.addEventListener("alpine:init", () => {
  Alpine.data("csvImport", (kind) => ({
    busy: false, progress: null, result: "", errors: [], message: "",
    async send(event) {
      const file = event.target.querySelector("input[type=file]").files[0];
      if (!file) return;
      const importId = crypto.randomUUID();
      const body = new FormData();
      body.append("file", file);
      body.append("import_id", importId);
      this.busy = true; this.result = ""; this.errors = []; this.progress = {phase: "uploading", done: 0, total: 0};
      const poll = setInterval(async () => {
        const r = await fetch(`/api/v1/console/imports/${importId}`, {credentials: "same-origin"});
        if (r.ok) this.progress = await r.json();
      }, 400);
      try {
        const response = await fetch(`/api/v1/console/imports/${kind}`, {
          method: "POST", body, credentials: "same-origin",
          headers: {"X-CSRFToken": document.cookie.match(/csrftoken=([^;]+)/)?.[1] || ""},
        });
        const data = await response.json();
        if (response.ok) {
          this.result = `Imported ${data.rows} rows: ${data.created} created, ${data.updated} updated, ${data.unchanged} unchanged.`;
          this.progress = {phase: "done", done: data.rows, total: data.rows};
        } else {
          this.errors = (data.details && data.details.errors) || []; this.message = data.message;
          this.progress = null;
        }
      } finally { clearInterval(poll); this.busy = false; }
    },
  }));
});
