package alicloud

import (
	"testing"

	"github.com/alibabacloud-go/openapi-util/service"
	"github.com/alibabacloud-go/tea/tea"
)

// TestACS3AgainstOfficial compares ACS3Authorization with the official
// openapi-util GetAuthorization on requests shaped like FC invocations.
func TestACS3AgainstOfficial(t *testing.T) {
	tests := []struct {
		name    string
		method  string
		path    string
		query   map[string]string
		headers map[string]string
		body    string
	}{
		{"fc3 invoke", "POST", "/2023-03-30/functions/my-func/invocations", map[string]string{"qualifier": "prod"},
			map[string]string{"host": "fcv3.cn-hangzhou.aliyuncs.com", "x-acs-version": "2023-03-30", "x-acs-action": "InvokeFunction",
				"x-acs-date": "2024-01-02T03:04:05Z", "x-acs-signature-nonce": "abc", "content-type": "application/octet-stream",
				"x-fc-invocation-type": "Sync", "user-agent": "ua", "accept": "application/json"}, `{"a":1}`},
		{"fc2 2021 no query", "POST", "/2021-04-06/services/svc/functions/fn/invocations", nil,
			map[string]string{"host": "1.cn-shanghai.fc.aliyuncs.com", "x-acs-version": "2021-04-06", "x-acs-date": "2024-01-02T03:04:05Z",
				"x-acs-security-token": " tok ", "X-Fc-Log-Type": "Tail"}, ""},
		{"escapes", "GET", "/2023-03-30/functions/a%20b*c~d/async-tasks", map[string]string{"q": "a b*~", "z": "", "A": "+/"},
			map[string]string{"host": "h", "Content-Type": "text/plain", "X-Acs-Mixed": "v"}, "x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hash := SHA256Hex([]byte(tt.body))
			h := map[string][]string{}
			th := map[string]*string{}
			for k, v := range tt.headers {
				h[k] = []string{v}
				th[k] = tea.String(v)
			}
			tq := map[string]*string{}
			for k, v := range tt.query {
				tq[k] = tea.String(v)
			}
			req := tea.NewRequest()
			req.Method = tea.String(tt.method)
			req.Pathname = tea.String(tt.path)
			req.Query = tq
			req.Headers = th
			want := tea.StringValue(service.GetAuthorization(req, tea.String(ACS3), tea.String(hash), tea.String("AKID"), tea.String("SECRET")))
			got := ACS3Authorization("AKID", "SECRET", tt.method, tt.path, tt.query, h, hash)
			if got != want {
				t.Errorf("got  %s\nwant %s", got, want)
			}
		})
	}
}
